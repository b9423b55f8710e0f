import { Recorder, userDraw } from "../../scripts/load/recorder";

describe("userDraw", () => {
  it("hears every user once in the first U draws, then repeats, the same way for the same seed", () => {
    const draw = userDraw(50, 7);
    const first = Array.from({ length: 50 }, draw);
    expect(new Set(first).size).toBe(50);
    expect([...first].map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const later = Array.from({ length: 200 }, draw);
    expect(later.every((id) => Number(id) >= 1 && Number(id) <= 50)).toBe(true);

    const again = userDraw(50, 7);
    expect(Array.from({ length: 250 }, again)).toEqual([...first, ...later]);
    expect(Array.from({ length: 50 }, userDraw(50, 8))).not.toEqual(first);
  });
});

describe("Recorder", () => {
  it("books each answer to its user and by status and problem code", () => {
    const r = new Recorder();
    const answer = (id: string, status: number, body = "{}") => {
      r.onSent(id);
      r.onAnswer(id, status, body);
    };
    answer("1", 201);
    answer("1", 409, JSON.stringify({ code: "ALREADY_ISSUED" }));
    answer("2", 202);
    answer("3", 409, JSON.stringify({ code: "SOLD_OUT" }));
    answer("3", 503, JSON.stringify({ code: "BUSY" }));
    answer("4", 400, "not json");
    r.onSent("5"); // lost in flight

    expect(r.statusCounts).toEqual({
      "201 ISSUED": 1,
      "409 ALREADY_ISSUED": 1,
      "202 PENDING": 1,
      "409 SOLD_OUT": 1,
      "503 BUSY": 1,
      "400 NOT_JSON": 1,
    });
    expect(r.answers.get("1")).toMatchObject({ sent: 2, issued: 1, alreadyIssued: 1 });
    expect(r.answers.get("3")).toMatchObject({ sent: 2, soldOut: 1, serverError: 1 });
    expect(r.answers.get("4")).toMatchObject({ other: 1 });
    expect(r.answers.get("5")).toMatchObject({ sent: 1, issued: 0 });
    expect([r.sent, r.received, r.issued]).toEqual([7, 6, 1]);
    expect(r.pendingUsers()).toEqual(["2"]);
  });
});
