import { ShopperTokens } from "../../scripts/support/shopper-tokens";
import { SHOPPER_JWT_SECRET } from "./test-env";

/** Shoppers' tokens for apps started with JWT_MODE, minted once per user. */
export const testTokens = new ShopperTokens({ secret: SHOPPER_JWT_SECRET });

/** `testTokens` for a jwt-mode suite, nothing for a none-mode one: the crowd then names itself in the body only. */
export const tokensFor = (mode: "none" | "jwt") => (mode === "jwt" ? testTokens : undefined);
