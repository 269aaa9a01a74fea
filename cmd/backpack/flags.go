package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// flagSet is a flag.FlagSet whose flags each have an environment twin. The
// environment sets the default; a flag on the command line wins.
type flagSet struct {
	*flag.FlagSet
	env       map[string]string // flag name -> variable
	secret    map[string]bool   // never printed
	usageLine string            // synopsis shown by help
	args      []string          // positional arguments, after parseArgs
}

func newFlagSet(name string) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return &flagSet{FlagSet: fs, env: map[string]string{}, secret: map[string]bool{}}
}

func (f *flagSet) string(p *string, name, env, def, usage string, getenv func(string) string) {
	if v := getenv(env); v != "" {
		def = v
	}
	f.StringVar(p, name, def, usage)
	f.env[name] = env
}

// list is a repeatable flag; its environment twin is comma-separated.
type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

func (f *flagSet) list(p *list, name, env, usage string, getenv func(string) string) {
	for _, v := range strings.Split(getenv(env), ",") {
		if v = strings.TrimSpace(v); v != "" {
			*p = append(*p, v)
		}
	}
	f.Var(p, name, usage)
	f.env[name] = env
}

func (f *flagSet) parse(args []string) error { return f.parseArgs(args, 0) }

// parseArgs parses flags placed before or after exactly n positional
// arguments ("-" counts as one).
func (f *flagSet) parseArgs(args []string, n int) error {
	rest := args
	for {
		if err := f.Parse(rest); err != nil {
			return usageError{fmt.Sprintf("%s: %v; run 'backpack help %s'", f.Name(), err, f.Name())}
		}
		if f.NArg() == 0 {
			break
		}
		f.args = append(f.args, f.FlagSet.Arg(0))
		rest = f.FlagSet.Args()[1:]
	}
	switch {
	case len(f.args) < n:
		return usageError{fmt.Sprintf("%s: missing argument; usage: %s", f.Name(), strings.SplitN(f.usageLine, "\n", 2)[0])}
	case len(f.args) > n:
		return usageError{fmt.Sprintf("%s: unexpected argument %q; run 'backpack help %s'", f.Name(), f.args[n], f.Name())}
	}
	return nil
}

// Arg returns the i-th positional argument after parseArgs.
func (f *flagSet) Arg(i int) string { return f.args[i] }

func (f *flagSet) usage(w io.Writer) {
	if f.usageLine != "" {
		fmt.Fprintf(w, "Usage:\n  %s\n\n", strings.ReplaceAll(f.usageLine, "\n", "\n  "))
	}
	fmt.Fprintf(w, "Flags:\n")
	f.VisitAll(func(fl *flag.Flag) {
		fmt.Fprintf(w, "  --%s\n", fl.Name)
		fmt.Fprintf(w, "        %s\n", fl.Usage)
		if f.env[fl.Name] == "" {
			return
		}
		fmt.Fprintf(w, "        environment: %s", f.env[fl.Name])
		if fl.DefValue != "" && !f.secret[fl.Name] {
			fmt.Fprintf(w, "; now: %s", fl.DefValue)
		}
		fmt.Fprintln(w)
	})
}
