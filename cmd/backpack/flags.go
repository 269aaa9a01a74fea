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
	env    map[string]string // flag name -> variable
	secret map[string]bool   // never printed
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

func (f *flagSet) parse(args []string) error {
	if err := f.Parse(args); err != nil {
		return usageError{fmt.Sprintf("%s: %v; run 'backpack help %s'", f.Name(), err, f.Name())}
	}
	if f.NArg() > 0 {
		return usageError{fmt.Sprintf("%s: unexpected argument %q; run 'backpack help %s'", f.Name(), f.Arg(0), f.Name())}
	}
	return nil
}

func (f *flagSet) usage(w io.Writer) {
	fmt.Fprintf(w, "Flags:\n")
	f.VisitAll(func(fl *flag.Flag) {
		fmt.Fprintf(w, "  --%s\n", fl.Name)
		fmt.Fprintf(w, "        %s\n", fl.Usage)
		fmt.Fprintf(w, "        environment: %s", f.env[fl.Name])
		if fl.DefValue != "" && !f.secret[fl.Name] {
			fmt.Fprintf(w, "; now: %s", fl.DefValue)
		}
		fmt.Fprintln(w)
	})
}
