-- The address each member is known by (accounts.Membership.Email): the
-- invited address for memberships made by accepting an invitation, the
-- first administrator's for the staff organization's. '' is "not known":
-- a member added by identity ID. Additive only.

ALTER TABLE memberships ADD COLUMN email TEXT NOT NULL DEFAULT '';

-- What is knowable now: the address of the latest invitation each member
-- accepted to the organization, while that invitation is still kept
-- (accepted invitations are pruned some time after acceptance).
UPDATE memberships SET email = COALESCE((
	SELECT i.email FROM invitations i
	WHERE i.org_id = memberships.org_id AND i.accepted_by = memberships.identity_id AND i.status = 'accepted'
	ORDER BY i.accepted_at DESC, i.id DESC
	LIMIT 1), '')
WHERE email = '';
