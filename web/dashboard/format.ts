const integer = new Intl.NumberFormat("en", { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat("en", { maximumFractionDigits: 1 });

export const count = (n: number) => integer.format(n);
export const perSecond = (n: number | undefined) => (n === undefined ? "–" : `${decimal.format(n)}/s`);
export const milliseconds = (ms: number | null) => (ms === null ? "–" : `${decimal.format(ms)} ms`);
