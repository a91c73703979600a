package main

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// serverCPU returns the CPU time every process of the PostgreSQL server
// on this machine has used (background writers, autovacuum and the WAL
// writer too): the live processes' own, and what the postmaster reaped
// from backends that ended. The difference of two calls counts every
// process that ran in between, those that started after the first too.
// Zero when /proc cannot be read.
func serverCPU() time.Duration {
	dir, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	var ticks int64
	for _, e := range dir {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || procComm(pid) != "postgres" {
			continue
		}
		f := procStat(pid)
		if len(f) < 15 {
			continue
		}
		// Fields after the command: state, ppid, ..., utime (12th),
		// stime, cutime, cstime.
		for _, s := range f[11:13] {
			v, _ := strconv.ParseInt(s, 10, 64)
			ticks += v
		}
		if ppid, _ := strconv.Atoi(f[1]); procComm(ppid) != "postgres" { // the postmaster
			for _, s := range f[13:15] {
				v, _ := strconv.ParseInt(s, 10, 64)
				ticks += v
			}
		}
	}
	return time.Duration(ticks) * time.Second / clockTicks
}

// clockTicks is the kernel's USER_HZ, the unit of /proc/PID/stat's
// times: 100 on every Linux architecture Go supports.
const clockTicks = 100

// procComm returns process pid's command name, "" when it cannot be read.
func procComm(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// procStat returns the fields of /proc/PID/stat after the command's
// closing parenthesis (state first), nil when it cannot be read.
func procStat(pid int) []string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(string(b[i+1:]))
}
