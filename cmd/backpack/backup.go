package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"backpack/store"
)

type backupConfig struct{ data, out string }

func backupFlags(getenv func(string) string) *flagSet {
	var c backupConfig
	return backupFlagSet(&c, getenv)
}

func backupFlagSet(c *backupConfig, getenv func(string) string) *flagSet {
	f := newFlagSet("backup")
	f.string(&c.out, "out", "BACKPACK_BACKUP_OUT", "", "file to write the copy to; it must not exist yet", getenv)
	f.string(&c.data, "data", "BACKPACK_DATA", "./data", "data folder of the running app", getenv)
	return f
}

// runBackup copies the live database with VACUUM INTO: consistent even
// while the server keeps writing.
func runBackup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var c backupConfig
	if err := backupFlagSet(&c, getenv).parse(args); err != nil {
		return err
	}
	if c.out == "" {
		return usageError{"backup: --out FILE is required"}
	}
	if err := store.Backup(ctx, filepath.Join(c.data, store.FileName), c.out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Backup written to %s\n", c.out)
	return nil
}
