import { describe, expect, it } from "vitest";
import { memberDetail, memberLabel } from "./members";

describe("memberLabel", () => {
  it("prefers the display name, then the address, then the id", () => {
    expect(memberLabel({ identity_id: "usr_1", display_name: "Olive Owner", email: "olive@acme.example" })).toBe("Olive Owner");
    expect(memberLabel({ identity_id: "usr_1", display_name: "", email: "olive@acme.example" })).toBe("olive@acme.example");
    expect(memberLabel({ identity_id: "usr_1", display_name: "  ", email: "" })).toBe("usr_1");
    expect(memberLabel({ identity_id: "usr_1" })).toBe("usr_1");
  });
});

describe("memberDetail", () => {
  it("gives the address under a name, and nothing when the label is already the address or the id", () => {
    expect(memberDetail({ identity_id: "usr_1", display_name: "Olive", email: "olive@acme.example" })).toBe("olive@acme.example");
    expect(memberDetail({ identity_id: "usr_1", display_name: "", email: "olive@acme.example" })).toBe("");
    expect(memberDetail({ identity_id: "usr_1", display_name: "Olive", email: "" })).toBe("");
  });
});
