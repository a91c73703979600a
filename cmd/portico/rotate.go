package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/portico-gw/portico/internal/auth/authstore"
	"github.com/portico-gw/portico/internal/auth/signing"
	"github.com/portico-gw/portico/internal/platform/sqldb"
)

const rotateUsage = `usage: portico rotate-signing-key [flags]

Replaces the auth service's signing key now, for a key suspected of having
leaked: a new key signs from this moment, and every other key retires, kept
in the key set only until the tokens it signed have expired. Running auth
replicas sign with the new key at their next key check (within a minute);
verifiers fetch it when they meet its kid. Scheduled rotation needs nothing
of this: auth rotates by itself, announcing each key ahead.

It needs the auth database and its key-encryption key, as portico auth
finds them: --db (or PORTICO_AUTH_DB), else the SQLite file in --data-dir;
PORTICO_AUTH_KEK, else --kek-file.

Flags (each may also be set by the environment variable named with it):
`

func runRotateSigningKey(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) int {
	fs := newFlagSet("rotate-signing-key", stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), rotateUsage)
		fs.PrintDefaults()
	}
	var dsn, dataDir, kekFile string
	stringFlag(fs, getenv, &dsn, "db", "PORTICO_AUTH_DB", "", "the auth database `dsn`: sqlite:PATH or postgres://...; default sqlite:DATA-DIR/"+authDBFile)
	stringFlag(fs, getenv, &dataDir, "data-dir", "PORTICO_DATA_DIR", defaultDataDir, "`directory` of the default database and key file")
	stringFlag(fs, getenv, &kekFile, "kek-file", "PORTICO_AUTH_KEK_FILE", "", "`file` of the key-encryption key, used when PORTICO_AUTH_KEK is unset; default DATA-DIR/"+authKEKFile)
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "portico rotate-signing-key:", err)
		return 1
	}
	if dsn == "" {
		dsn = "sqlite:" + filepath.Join(dataDir, authDBFile)
	}
	kekEnv, _ := getenv("PORTICO_AUTH_KEK")
	var src signing.KEKSource = signing.KEKFile{Path: orString(kekFile, filepath.Join(dataDir, authKEKFile))}
	if kekEnv != "" {
		src = signing.KEKValue(kekEnv)
	}
	kek, err := src.KEK(ctx)
	if err != nil {
		return fail(fmt.Errorf("key-encryption key: %w", err))
	}
	db, err := sqldb.Open(ctx, dsn, sqldb.Options{MaxOpenConns: 2, MaxIdleConns: 2})
	if err != nil {
		return fail(err)
	}
	defer db.Close()
	store, err := authstore.Open(ctx, db)
	if err != nil {
		return fail(err)
	}
	// Keys do not depend on the issuer, which only signing needs.
	mgr, err := signing.New(ctx, store, kek, signing.Options{Issuer: "http://rotate-signing-key.invalid"})
	if err != nil {
		return fail(err)
	}
	before := mgr.Keys()
	kid, err := mgr.Rotate(ctx)
	if err != nil {
		return fail(err)
	}
	var retired []string
	for _, k := range before {
		if k.KID != kid && time.Now().Before(k.RetiresAt) {
			retired = append(retired, k.KID)
		}
	}
	fmt.Fprintf(stdout, "signing key %s signs from now on\n", kid)
	if len(retired) > 0 {
		fmt.Fprintf(stdout, "retired: %s (published until the tokens they signed expire)\n", strings.Join(retired, ", "))
	}
	fmt.Fprintln(stdout, "running auth replicas sign with the new key within a minute")
	return 0
}
