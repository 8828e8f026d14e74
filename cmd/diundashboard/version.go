package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
)

// Stamped at build time by `make release` (scripts/release.sh):
// -ldflags "-X main.version=v1.2.3 -X main.commit=<sha> -X main.date=<commit time, RFC 3339>".
// The date is the commit's, not the build's, so that two builds of a commit are identical.
var (
	version = "dev"
	commit  = ""
	date    = ""
)

// printVersion is `diundashboard version`: what a bug report needs to name the exact build.
func printVersion(w io.Writer) {
	rev, when := commit, date
	info, _ := debug.ReadBuildInfo()
	// A plain `go build` in a checkout records the revision itself (unless -buildvcs=false).
	if info != nil {
		for _, s := range info.Settings {
			switch {
			case s.Key == "vcs.revision" && rev == "":
				rev = s.Value
			case s.Key == "vcs.time" && when == "":
				when = s.Value
			}
		}
	}
	fmt.Fprintf(w, "diundashboard %s\ncommit:     %s\nbuilt:      %s\ngo:         %s\nplatform:   %s\n",
		version, orUnknown(rev), orUnknown(when), runtime.Version(), platform(info))
}

// platform is os/arch, with the variant images use for 32-bit ARM (linux/arm/v7): read from
// the GOARM the binary was built with, since an arm/v7 binary dies on an ARMv6 CPU.
func platform(info *debug.BuildInfo) string {
	p := runtime.GOOS + "/" + runtime.GOARCH
	if info == nil || runtime.GOARCH != "arm" {
		return p
	}
	for _, s := range info.Settings {
		if s.Key == "GOARM" {
			v, _, _ := strings.Cut(s.Value, ",") // "7" or "7,softfloat"
			return p + "/v" + v
		}
	}
	return p
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
