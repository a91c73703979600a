// How a member is named on screen: the name they chose, else the address
// they were invited with, else their identity id (members added by id
// before either was known).
export interface Named {
  identity_id: string;
  display_name?: string;
  email?: string;
}

export function memberLabel(m: Named): string {
  return m.display_name?.trim() || m.email?.trim() || m.identity_id;
}

// The second line under the label: the address when the label is the
// name, nothing otherwise.
export function memberDetail(m: Named): string {
  const name = m.display_name?.trim();
  const email = m.email?.trim();
  return name && email ? email : "";
}
