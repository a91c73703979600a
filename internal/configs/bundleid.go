package configs

import "strings"

// MaxBundleIDLen is the longest app bundle id accepted, Apple's limit for
// CFBundleIdentifier.
const MaxBundleIDLen = 255

// BundleID is the reverse-DNS identifier of a mobile or TV app, such as
// com.example.player. Its zero value is no app.
type BundleID string

// ParseBundleID checks s against the rules of an app bundle id: at most
// MaxBundleIDLen characters, two or more segments separated by dots, each
// segment one or more ASCII letters, digits, '-' or '_'. Case is kept and
// significant (Android's applicationId is case-sensitive); surrounding
// white space is not trimmed. The error is an *Error of code ErrInvalid.
func ParseBundleID(s string) (BundleID, error) {
	switch {
	case s == "":
		return "", invalid("bundle id is empty")
	case len(s) > MaxBundleIDLen:
		return "", invalid("bundle id is longer than 255 characters")
	}
	n := 0
	for seg := range strings.SplitSeq(s, ".") {
		n++
		if seg == "" {
			return "", invalid("bundle id has an empty segment; use reverse-DNS form such as com.example.player")
		}
		for i := 0; i < len(seg); i++ {
			if c := seg[i]; !isAlnum(c) && c != '-' && c != '_' {
				return "", invalid("bundle id may hold only letters, digits, '-', '_' and '.'")
			}
		}
	}
	if n < 2 {
		return "", invalid("bundle id needs two or more segments, such as com.example.player")
	}
	return BundleID(s), nil
}

// String returns the bundle id.
func (b BundleID) String() string { return string(b) }

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
