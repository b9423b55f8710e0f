// The harness (scripts/torture) starts redis-servers too; the code lives where both can import it.
export { freePort, startRedisServer, type RedisServer } from "../../scripts/support/redis-server";
