// Prisma CLI configuration (Prisma 7 reads it from .config/prisma.ts).
// Runtime connections go through the pg driver adapter in src/db/database.ts.
import { defineConfig } from "prisma/config";

export default defineConfig({
  schema: "../prisma/schema.prisma",
  migrations: { path: "../prisma/migrations" },
  datasource: {
    url: process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/coupons",
  },
});
