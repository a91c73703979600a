import { mkdirSync } from "node:fs";
import path from "node:path";
import { expect, test as setup } from "@playwright/test";
import { outputDir, people, statePath } from "./env";

// Signs in the demo's owner and the administrator once, through the API,
// and keeps their cookies for the specs: sign-in is rate limited (5 at
// once per address), and auth.spec.ts signs in through the form itself.
for (const who of ["owner", "admin"] as const) {
  setup(`sign in the ${who}`, async ({ request }) => {
    const person = people[who];
    const res = await request.post("/v1/login", {
      headers: { "Portico-CSRF": "1" },
      data: { email: person.email, password: person.password() },
    });
    expect(res.status(), `POST /v1/login as ${person.email}: ${await res.text()}`).toBe(200);
    const me = await request.get("/v1/me");
    expect(me.status()).toBe(200);
    mkdirSync(path.join(outputDir, ".auth"), { recursive: true });
    await request.storageState({ path: statePath(who) });
  });
}
