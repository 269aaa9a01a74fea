package main

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"backpack/badges"
)

func TestQuotaFlag(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "1GiB": 1 << 30, "500MiB": 500 << 20, "2GB": 2e9, "1.5 gib": 3 << 29,
		"1024": 1024, "64KiB": 64 << 10, "1TB": 1e12} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "lots", "1 GiBs", "-1GiB", "1e3", "GiB", "99999999TiB"} {
		if n, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) = %d, want an error", in, n)
		}
	}
	var c serveConfig
	if err := serveFlagSet(&c, env(map[string]string{"BACKPACK_QUOTA": "250MiB"})).parse(nil); err != nil || c.quota != "250MiB" {
		t.Fatalf("environment twin: %q, %v", c.quota, err)
	}
	err := run(context.Background(), []string{"serve", "--quota", "lots", "--addr", "127.0.0.1:0", "--data", t.TempDir()}, env(nil), io.Discard, io.Discard)
	if uerr := (usageError{}); !errors.As(err, &uerr) {
		t.Errorf("--quota lots: %v, want a usage error", err)
	}
}

func TestRateFlags(t *testing.T) {
	for in, want := range map[string]badges.Rate{"100/3s": {Burst: 100, Every: 3 * time.Second}, "10 / 3m": {Burst: 10, Every: 3 * time.Minute},
		"0": {Burst: -1}} {
		if got, err := parseRate(in); err != nil || got != want {
			t.Errorf("parseRate(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "10", "10/", "/3m", "0/3m", "-1/3m", "10/0s", "ten/3m", "10/soon"} {
		if r, err := parseRate(in); err == nil {
			t.Errorf("parseRate(%q) = %+v, want an error", in, r)
		}
	}
	var c serveConfig
	f := serveFlagSet(&c, env(map[string]string{"BACKPACK_ADD_RATE": "5/1s", "BACKPACK_IMPORT_RATE": "2/1h"}))
	if err := f.parse([]string{"--import-rate", "3/1h"}); err != nil || c.addRate != "5/1s" || c.importRate != "3/1h" {
		t.Fatalf("environment twins: %q %q, %v", c.addRate, c.importRate, err)
	}
	for _, flag := range []string{"--add-rate", "--import-rate"} {
		err := run(context.Background(), []string{"serve", flag, "often", "--addr", "127.0.0.1:0", "--data", t.TempDir()}, env(nil), io.Discard, io.Discard)
		if uerr := (usageError{}); !errors.As(err, &uerr) {
			t.Errorf("%s often: %v, want a usage error", flag, err)
		}
	}
}
