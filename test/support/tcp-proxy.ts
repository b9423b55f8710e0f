// Shared with the torture harness, which cuts and slows its dependencies through the same proxy.
export { startTcpProxy, type TcpProxy } from "../../scripts/support/tcp-proxy";
