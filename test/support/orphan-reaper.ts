// Shared with the torture harness, which must not leave processes behind either.
export { reapOnExit, type Reaper } from "../../scripts/support/orphan-reaper";
