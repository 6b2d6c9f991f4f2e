// The sign-in flow as one union of states: each phase carries what its screen shows, and a late answer never revives a closed flow.
import { describe, expect, it } from "vitest";
import { mockBackend } from "../../test/backend";
import { SignInFlow } from "./flow.svelte";

const started = { provider: "aihubmix", authorizeUrl: "https://aihubmix.com/authorize?x", expiresAt: 1 };

describe("SignInFlow", () => {
  it("goes choose → starting → waiting → closed, each state with its own data", async () => {
    mockBackend({ begin_sign_in: () => started });
    const done: (number | null)[] = [];
    const flow = new SignInFlow((id) => done.push(id));
    flow.choose();
    expect(flow.state).toEqual({ phase: "choose" });
    await flow.start("aihubmix");
    expect(flow.state).toEqual({ phase: "waiting", provider: "aihubmix", accountId: null, started });
    flow.finished({ type: "signInFinished", provider: "other", accountId: 9, error: null });
    expect(flow.phase).toBe("waiting");
    flow.finished({ type: "signInFinished", provider: "aihubmix", accountId: 7, error: null });
    expect(flow.state).toEqual({ phase: "closed" });
    expect(done).toEqual([7]);
  });

  it("drops an answer that arrives after the person cancelled", async () => {
    let answer: (v: unknown) => void = () => {};
    const backend = mockBackend({
      begin_sign_in: () => new Promise((resolve) => (answer = resolve)),
      cancel_sign_in: () => null,
    });
    const flow = new SignInFlow(() => {});
    flow.choose();
    const starting = flow.start("aihubmix");
    expect(flow.state).toEqual({ phase: "starting", provider: "aihubmix", accountId: null });
    await flow.cancel();
    answer(started);
    await starting;
    expect(flow.state).toEqual({ phase: "choose" });
    expect(backend.called("cancel_sign_in").map((c) => c.args)).toEqual([{ provider: "aihubmix" }]);
  });

  it("a failure carries its error and Try again starts the same sign-in for the same account", async () => {
    let fail = true;
    mockBackend({
      begin_sign_in: () => {
        if (fail) throw { code: "setup_problem", message: "No client secret." };
        return started;
      },
    });
    const flow = new SignInFlow(() => {});
    await flow.start("aihubmix", 3);
    expect(flow.state).toEqual({
      phase: "failed",
      provider: "aihubmix",
      accountId: 3,
      error: { code: "setup_problem", message: "No client secret." },
    });
    expect(flow.again).toBe(true);
    fail = false;
    await flow.retry();
    expect(flow.state).toMatchObject({ phase: "waiting", provider: "aihubmix", accountId: 3 });
  });
});
