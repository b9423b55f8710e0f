import { loadConfig } from "../config";
import { migrate } from "./migrate";

migrate(loadConfig().databaseUrl).then(
  ({ applied, databaseCreated }) => {
    if (databaseCreated) console.log("created database");
    console.log(applied.length ? `applied: ${applied.join(", ")}` : "database is up to date");
  },
  (err: Error) => {
    console.error(err.message);
    process.exit(1);
  },
);
