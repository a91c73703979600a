-- Whether the person who made a change acted as the operator's staff (in
-- an organization not theirs: a support bypass, say). Staff never act as
-- someone else; the audit trail says it was them, as staff.
ALTER TABLE audit_entries ADD COLUMN actor_staff BOOLEAN NOT NULL DEFAULT FALSE;
