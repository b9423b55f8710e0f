import type { NextFunction, Request, Response } from "express";
import { AppError } from "../errors";

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * A small JSON body reader in place of express.json(): our bodies are tiny,
 * and the hot issue route should not pay for charset and inflate handling.
 * Oversized bodies get 413, other media types 415, bad JSON 400. A request
 * with no body leaves req.body undefined for the route to judge.
 */
export function jsonBody(limitBytes: number) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const length = req.headers["content-length"];
    const chunked = req.headers["transfer-encoding"] !== undefined;
    if (!chunked && (length === undefined || length === "0")) return next();
    if (length !== undefined && Number(length) > limitBytes) return next(tooLarge(limitBytes));
    const type = req.headers["content-type"];
    if (type === undefined || !JSON_TYPE.test(type)) {
      return next(new AppError("UNSUPPORTED_MEDIA_TYPE", "Send the body as application/json"));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err?: unknown) => {
      if (done) return;
      done = true;
      req.off("data", onData);
      next(err);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        req.resume();
        return finish(tooLarge(limitBytes));
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.on("error", (err) => finish(new AppError("BAD_REQUEST", "The request body could not be read", { cause: err })));
    req.on("end", () => {
      if (done) return;
      try {
        const text = chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks).toString("utf8");
        req.body = text.trim() === "" ? undefined : JSON.parse(text);
        finish();
      } catch {
        finish(new AppError("MALFORMED_JSON", "The request body is not valid JSON"));
      }
    });
  };
}

const tooLarge = (limitBytes: number) =>
  new AppError("PAYLOAD_TOO_LARGE", `The request body exceeds ${limitBytes} bytes`);
