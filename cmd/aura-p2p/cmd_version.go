package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

func runVersion(ctx context.Context, std *stdio, args []string) error {
	fs := newFlagSet(std, "version", "", "Print the module version, VCS revision and Go version.")
	if err := parse(fs, args); err != nil {
		return err
	}
	fmt.Fprintln(std.out, versionString())
	return nil
}

func versionString() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return fmt.Sprintf("aura-p2p (unknown version) %s %s/%s", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	s := fmt.Sprintf("aura-p2p %s %s", bi.Main.Path, v)
	if rev := setting(bi, "vcs.revision"); rev != "" {
		s += " rev " + rev
		if setting(bi, "vcs.modified") == "true" {
			s += "+dirty"
		}
	}
	return fmt.Sprintf("%s %s %s/%s", s, bi.GoVersion, runtime.GOOS, runtime.GOARCH)
}

func setting(bi *debug.BuildInfo, key string) string {
	for _, s := range bi.Settings {
		if s.Key == key {
			return s.Value
		}
	}
	return ""
}
