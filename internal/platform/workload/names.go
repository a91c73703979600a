package workload

// The components of Portico, as workload tokens name them: the "sub" of a
// caller's token (after GuardOptions.SubjectPrefix is removed) and, through
// Audience, the "aud" of a token meant for a callee.
const (
	Gateway   = "gateway"
	Auth      = "auth"
	Accounts  = "accounts"
	Configs   = "configs"
	Analytics = "analytics"
)

// TokenType is the "typ" header of the tokens an Issuer mints. Tokens from
// a Kubernetes cluster carry no "typ"; a Guard accepts both, and nothing
// else, so an internal token (typ portico-internal+jwt) or an access token
// (at+jwt) can never stand in for a workload token.
const TokenType = "portico-workload+jwt"

// AudiencePrefix begins every workload audience.
const AudiencePrefix = "portico-"

// Audience returns the audience of workload tokens meant for callee, such
// as "portico-auth" for Auth. Kubernetes pod specs name the same value in
// their projected token volumes.
func Audience(callee string) string { return AudiencePrefix + callee }
