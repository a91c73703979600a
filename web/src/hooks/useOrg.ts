import { api, type Organization, request } from "../api/client";
import { useMe } from "../session";
import { useAsync } from "./useAsync";

/** The organization, from /v1/me when the caller belongs to it, else read (staff). */
export function useOrg(orgId: string | undefined) {
  const me = useMe();
  const known = orgId ? me.organizations?.find((o) => o.id === orgId) : undefined;
  return useAsync<Organization | undefined>(
    async (signal) => {
      if (!orgId) return undefined;
      if (known) return known;
      return request(api.GET("/v1/orgs/{org}", { params: { path: { org: orgId } }, signal }));
    },
    [orgId, known],
  );
}
