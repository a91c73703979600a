// Package redistest gives tests a real Redis: the shared server named by
// PORTICO_TEST_REDIS_ADDR, with a key prefix of the test's own, or a
// redis-server process of the test's own, which the test may stop and
// start again.
//
// Without the variable, tests of the shared server skip, except when CI is
// "true": there a missing variable fails the test, so CI cannot pass
// without having run against Redis. A variable that names an unreachable
// server always fails. Tests of their own server need the redis-server
// binary on the PATH, and skip without it, except in CI.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// EnvAddr names the environment variable holding the host:port of the
// Redis server tests may share.
const EnvAddr = "PORTICO_TEST_REDIS_ADDR"

// SkipMessage is what a skipped test of the shared server says.
const SkipMessage = "Redis tests skipped: set " + EnvAddr + " (as in 127.0.0.1:6379)"

// setupTimeout bounds reaching a server, and a server's start.
const setupTimeout = 10 * time.Second

func ci() bool { return os.Getenv("CI") == "true" }

// Addr returns the shared server's address after checking that it
// answers, or skips the test as the package documentation says.
func Addr(tb testing.TB) string {
	tb.Helper()
	addr := os.Getenv(EnvAddr)
	if addr == "" {
		if ci() {
			tb.Fatalf("CI=true but %s is not set; the Redis tests must run in CI", EnvAddr)
		}
		tb.Skip(SkipMessage)
	}
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		tb.Fatalf("%s=%s does not answer: %v", EnvAddr, addr, err)
	}
	return addr
}

// Prefix returns a key prefix no other test uses, and deletes the keys
// under it at addr when the test ends.
func Prefix(tb testing.TB, addr string) string {
	tb.Helper()
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	prefix := "portico:test:" + hex.EncodeToString(b) + ":"
	tb.Cleanup(func() {
		c := redis.NewClient(&redis.Options{Addr: addr})
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
		defer cancel()
		iter := c.Scan(ctx, 0, prefix+"*", 100).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
	})
	return prefix
}

// Client returns a client of the server at addr, closed when the test
// ends, for a test to look at what the code under test wrote.
func Client(tb testing.TB, addr string) *redis.Client {
	tb.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	tb.Cleanup(func() { c.Close() })
	return c
}

// Server is a redis-server process of one test's own, on a loopback port,
// without persistence.
type Server struct {
	tb   testing.TB
	bin  string
	port int
	cmd  *exec.Cmd
	done chan struct{}
}

// Start starts a server, stopped when the test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if ci() {
			tb.Fatalf("CI=true but there is no redis-server on the PATH: %v", err)
		}
		tb.Skip("tests of a Redis server of their own skipped: no redis-server on the PATH")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s := &Server{tb: tb, bin: bin, port: port}
	s.Restart()
	tb.Cleanup(s.Stop)
	return s
}

// Addr is the server's host:port, the same across restarts.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// Stop kills the server, at once and without saving anything, and waits
// for it to exit. Stopping a stopped server does nothing.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}

// Restart starts the server again on the same port, empty, and waits
// until it answers.
func (s *Server) Restart() {
	s.tb.Helper()
	if s.cmd != nil {
		s.tb.Fatal("redistest: Restart of a running server")
	}
	cmd := exec.Command(s.bin, "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--protected-mode", "no")
	cmd.Dir = s.tb.TempDir()
	if err := cmd.Start(); err != nil {
		s.tb.Fatalf("start redis-server: %v", err)
	}
	s.cmd, s.done = cmd, make(chan struct{})
	go func() {
		cmd.Wait()
		close(s.done)
	}()
	c := redis.NewClient(&redis.Options{Addr: s.Addr(), MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(setupTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		select {
		case <-s.done:
			s.tb.Fatalf("redis-server on port %d exited at start (is the port taken?)", s.port)
		default:
		}
		if time.Now().After(deadline) {
			s.Stop()
			s.tb.Fatalf("redis-server on port %d does not answer: %v", s.port, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
