package authhttp

import (
	"net/http"
	"time"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/platform/httpjson"
	"github.com/portico-gw/portico/internal/platform/identity"
)

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

type sessionJSON struct {
	ID            string    `json:"id"`
	CreatedAt     time.Time `json:"created_at"`
	LastSeenAt    time.Time `json:"last_seen_at"`
	ExpiresAt     time.Time `json:"expires_at"`
	IdleExpiresAt time.Time `json:"idle_expires_at"`
	UserAgent     string    `json:"user_agent,omitempty"`
	IP            string    `json:"ip,omitempty"`
	Current       bool      `json:"current"`
}

func toSessionJSON(s auth.Session, current string) sessionJSON {
	return sessionJSON{ID: s.ID, CreatedAt: s.CreatedAt, LastSeenAt: s.LastSeenAt, ExpiresAt: s.ExpiresAt,
		IdleExpiresAt: s.IdleExpiresAt, UserAgent: s.UserAgent, IP: s.IP, Current: s.ID == current}
}

type loginResponse struct {
	Session              *sessionJSON `json:"session,omitempty"`
	SecondFactorRequired bool         `json:"second_factor_required"`
	Challenge            string       `json:"challenge,omitempty"`
	ChallengeExpiresAt   *time.Time   `json:"challenge_expires_at,omitempty"`
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if err := h.decodeJSON(w, r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	res, err := h.svc.Login(r.Context(), auth.LoginRequest{Email: req.Email, Password: req.Password,
		IP: h.o.ClientIP(r), UserAgent: r.UserAgent()})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if res.Session == nil {
		httpjson.Write(w, http.StatusOK, loginResponse{SecondFactorRequired: true, Challenge: res.Challenge, ChallengeExpiresAt: &res.ChallengeExpiresAt})
		return
	}
	h.setSessionCookie(w, *res.Session)
	s := toSessionJSON(res.Session.Session, res.Session.Session.ID)
	httpjson.Write(w, http.StatusOK, loginResponse{Session: &s})
}

type secondFactorRequest struct {
	Challenge    string `json:"challenge"`
	Code         string `json:"code,omitempty"`
	RecoveryCode string `json:"recovery_code,omitempty"`
}

func (h *Handler) loginSecondFactor(w http.ResponseWriter, r *http.Request) {
	var req secondFactorRequest
	if err := h.decodeJSON(w, r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	ns, err := h.svc.LoginSecondFactor(r.Context(), auth.SecondFactorRequest{Challenge: req.Challenge, Code: req.Code,
		RecoveryCode: req.RecoveryCode, IP: h.o.ClientIP(r)})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.setSessionCookie(w, ns)
	s := toSessionJSON(ns.Session, ns.Session.ID)
	httpjson.Write(w, http.StatusOK, loginResponse{Session: &s})
}

// logout revokes the session the internal token names (its "sid") and
// clears the cookie, which the gateway passes back to the browser.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if err := h.svc.Logout(r.Context(), p, h.o.ClientIP(r)); err != nil {
		h.fail(w, r, err)
		return
	}
	h.clearSessionCookie(w)
	w.WriteHeader(http.StatusNoContent)
}

type meResponse struct {
	IdentityID string             `json:"identity_id"`
	Email      string             `json:"email"`
	SessionID  string             `json:"session_id,omitempty"`
	Orgs       []identity.OrgRole `json:"orgs"`
	Staff      bool               `json:"staff"`
}

// me answers who the caller is: the identity, with the address it signs
// in with as stored now, and the organizations and staff flag of the
// token.
func (h *Handler) me(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	id, err := h.svc.GetIdentity(r.Context(), p, p.IdentityID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	orgs := p.Orgs
	if orgs == nil {
		orgs = []identity.OrgRole{}
	}
	httpjson.Write(w, http.StatusOK, meResponse{IdentityID: p.IdentityID, Email: id.Email, SessionID: p.SessionID, Orgs: orgs, Staff: p.Staff})
}

func (h *Handler) listSessions(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	page, err := h.pageRequest(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	sessions, err := h.svc.ListSessions(r.Context(), p, page)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, toPage(sessions, func(s auth.Session) sessionJSON { return toSessionJSON(s, p.SessionID) }))
}

func (h *Handler) revokeSession(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if err := h.svc.RevokeSession(r.Context(), p, r.PathValue("id")); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type totpEnrolResponse struct {
	Secret string `json:"secret"`
	URL    string `json:"otpauth_url"`
}

func (h *Handler) enrolTOTP(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	en, err := h.svc.EnrolTOTP(r.Context(), p)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusCreated, totpEnrolResponse{Secret: en.Secret, URL: en.URL})
}

type codeRequest struct {
	Code string `json:"code"`
}

type recoveryCodesResponse struct {
	RecoveryCodes []string `json:"recovery_codes"`
}

func (h *Handler) confirmTOTP(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var req codeRequest
	if err := h.decodeJSON(w, r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	codes, err := h.svc.ConfirmTOTP(r.Context(), p, req.Code)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, recoveryCodesResponse{RecoveryCodes: codes})
}

func (h *Handler) disableTOTP(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var req codeRequest
	if err := h.decodeJSON(w, r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.svc.DisableTOTP(r.Context(), p, req.Code); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type changePasswordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

func (h *Handler) changePassword(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var req changePasswordRequest
	if err := h.decodeJSON(w, r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.svc.ChangePassword(r.Context(), p, req.CurrentPassword, req.NewPassword, h.o.ClientIP(r)); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type resetRequestRequest struct {
	Email string `json:"email"`
}

// requestReset answers 202 whether or not the address is known.
func (h *Handler) requestReset(w http.ResponseWriter, r *http.Request) {
	var req resetRequestRequest
	if err := h.decodeJSON(w, r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.svc.RequestPasswordReset(r.Context(), req.Email, h.o.ClientIP(r)); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

type resetPasswordRequest struct {
	ResetCode   string `json:"reset_code"`
	NewPassword string `json:"new_password"`
}

func (h *Handler) resetPassword(w http.ResponseWriter, r *http.Request) {
	var req resetPasswordRequest
	if err := h.decodeJSON(w, r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.svc.ResetPassword(r.Context(), req.ResetCode, req.NewPassword, h.o.ClientIP(r)); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
