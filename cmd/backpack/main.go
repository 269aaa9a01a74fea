// Command backpack runs the Backpack web app and its maintenance tasks.
//
//	backpack [serve] [flags]   run the web app (the default)
//	backpack verify INPUT      verify a badge (exit 0 valid, 1 not valid, 2 could not run)
//	backpack bake, unbake      embed a badge in an image, or print the one inside
//	backpack backup --out FILE consistent online copy of the database
//	backpack help [COMMAND]    explain a command and its flags
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	defer func() {
		// The last line of defence: never a stack trace for the user.
		if r := recover(); r != nil {
			fmt.Fprintln(os.Stderr, "backpack: internal error:", r)
			os.Exit(2)
		}
	}()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	var uerr usageError
	var exit exitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		os.Exit(int(exit))
	case errors.As(err, &uerr):
		fmt.Fprintln(os.Stderr, "backpack:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "backpack:", err)
		os.Exit(1)
	}
}

// usageError means the command could not run (exit status 2): a mistake
// on the command line, or an input that cannot be read.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error
	flags   func(getenv func(string) string) *flagSet
}

func commands() []command {
	return []command{
		{"serve", "run the web app (the default command)", runServe, serveFlags},
		{"verify", "verify a badge: a baked PNG or SVG, JSON, a signed JWS, or a URL", runVerify, verifyFlags},
		{"bake", "embed a badge into a PNG or SVG image", runBake, bakeFlags},
		{"unbake", "print the badge embedded in a PNG or SVG image", runUnbake, unbakeFlags},
		{"backup", "write a consistent copy of the database while the app runs", runBackup, backupFlags},
	}
}

// run is main without the process: tests call it with their own
// arguments, environment and output.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (len(args[0]) > 0 && args[0][0] == '-' && !isHelp(args[0])) {
		return runServe(ctx, args, getenv, stdout, stderr)
	}
	name := args[0]
	if isHelp(name) || name == "help" {
		return help(args[1:], getenv, stdout)
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(ctx, args[1:], getenv, stdout, stderr)
		}
	}
	return usageError{fmt.Sprintf("unknown command %q; run 'backpack help' to see the commands", name)}
}

func isHelp(a string) bool { return a == "-h" || a == "-help" || a == "--help" }

func help(args []string, getenv func(string) string, w io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(w, `Backpack keeps, verifies and publishes your Open Badges.

Usage:
  backpack [COMMAND] [FLAGS]

Commands:
`)
		for _, c := range commands() {
			fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
		}
		fmt.Fprint(w, `  help     explain a command: backpack help COMMAND

With no command, backpack serves the web app: 'backpack' is 'backpack serve'.
Every flag can also be set with the environment variable shown in
'backpack help COMMAND'; a flag given on the command line wins.
`)
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			fmt.Fprintf(w, "backpack %s: %s\n\n", c.name, c.summary)
			c.flags(getenv).usage(w)
			return nil
		}
	}
	return usageError{fmt.Sprintf("no help for %q: it is not a command", args[0])}
}
