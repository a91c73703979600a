import { useState } from "react";
import { PasswordSection } from "../components/account/PasswordSection";
import { ProfileSection } from "../components/account/ProfileSection";
import { SessionsSection } from "../components/account/SessionsSection";
import { TwoFactorSection } from "../components/account/TwoFactorSection";
import { PageHeader } from "../components/ui";
import { useMe } from "../session";

/** The signed-in person's own account: profile, password, sessions and two-factor authentication. */
export default function Account() {
  const me = useMe();
  // A password change and turning on two-factor authentication sign out the
  // other sessions: the list then loads again.
  const [sessionsGeneration, setSessionsGeneration] = useState(0);
  const otherSessionsEnded = () => setSessionsGeneration((g) => g + 1);
  return (
    <section>
      <PageHeader title="Account" subtitle="Your profile, password, sessions and two-factor authentication." />
      <ProfileSection email={me.email} />
      <PasswordSection email={me.email} onOtherSessionsEnded={otherSessionsEnded} />
      <SessionsSection generation={sessionsGeneration} />
      <TwoFactorSection account={me.email} onOtherSessionsEnded={otherSessionsEnded} />
    </section>
  );
}
