import { createHash, timingSafeEqual } from "node:crypto";
import type { NextFunction, Request, Response } from "express";
import { AppError } from "../errors";

const digest = (s: string) => createHash("sha256").update(s).digest();

/**
 * Operator routes need `Authorization: Bearer <ADMIN_TOKEN>`. Both sides are
 * hashed first so the comparison takes the same time whatever the length.
 */
export function requireOperator(adminToken: string) {
  const expected = digest(adminToken);
  return (req: Request, _res: Response, next: NextFunction): void => {
    const m = /^Bearer +(\S+)\s*$/i.exec(req.headers.authorization ?? "");
    if (m && timingSafeEqual(digest(m[1]!), expected)) return next();
    next(new AppError("UNAUTHORIZED", "Operator routes need Authorization: Bearer <ADMIN_TOKEN>"));
  };
}
