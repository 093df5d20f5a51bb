package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
)

// The subcommands. Each has its own flags: a flag of one given to the
// other fails with a message naming the subcommand it belongs to, instead
// of being ignored.
const (
	cmdEndpoints = "endpoints"
	cmdDay       = "day"
)

// command is one subcommand of hush-load.
type command struct {
	name    string
	summary string
	// flags returns the subcommand's flag set, for -h and for telling a
	// flag of the other subcommand from an unknown one.
	flags func(stderr io.Writer) *flag.FlagSet
	run   func(ctx context.Context, args []string, stdout, stderr io.Writer) error
	// note says, after "-X is a flag of hush-load <other>", why this
	// subcommand has none such.
	note string
}

// commands lists the subcommands, in the order of the usage text. It is a
// function because the subcommands' parsers read it.
func commands() []command {
	return []command{
		{
			name: cmdEndpoints,
			summary: "each endpoint at a fixed concurrency: requests, errors, req/s and\n" +
				"p50/p95/p99, beside direct DynamoDB Local calls (the floor); on a\n" +
				"local stack it starts, or on a running one (-target)",
			flags: func(stderr io.Writer) *flag.FlagSet {
				var c config
				var endpoints string
				return endpointsFlags(&c, &endpoints, stderr)
			},
			run:  runEndpoints,
			note: "it measures each endpoint apart, at the concurrency and for the time its own flags give",
		},
		{
			name: cmdDay,
			summary: "the tournament-day profile on a local stack of every region of\n" +
				"-stack: DynamoDB requests and capacity per kind of request,\n" +
				"polling with 304s, cost per request and per day",
			flags: func(stderr io.Writer) *flag.FlagSet {
				var c dayConfig
				return dayFlags(&c, stderr)
			},
			run:  runDay,
			note: "it runs a fixed profile (hush-load day -h) on its own local stack, whose handlers run in this process so that their DynamoDB requests can be metered",
		},
	}
}

func lookupCommand(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// usage writes the top-level usage text.
func usage(w io.Writer) {
	fmt.Fprint(w, "Usage: hush-load <command> [flags]\n\n"+
		"Load on Hush's API, measured. Commands:\n\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, strings.ReplaceAll(c.summary, "\n", "\n"+strings.Repeat(" ", 13)))
	}
	fmt.Fprint(w, "\nhush-load <command> -h lists a command's flags.\n")
}

// run dispatches to the subcommand args name; the table goes to stdout,
// progress and the stack's start-up to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		usage(stderr)
		return fmt.Errorf("no command: want %s", commandNames())
	}
	switch name := args[0]; {
	case name == "-h" || name == "-help" || name == "--help" || name == "help":
		usage(stderr)
		return flag.ErrHelp
	case strings.HasPrefix(name, "-"):
		return fmt.Errorf("a command comes before the flags: hush-load %s [flags] (-scenario day is now hush-load day; the load table is hush-load endpoints)", strings.Join(commandList(), "|"))
	default:
		c, ok := lookupCommand(name)
		if !ok {
			return fmt.Errorf("unknown command %q: want %s (hush-load -h)", name, commandNames())
		}
		return c.run(ctx, args[1:], stdout, stderr)
	}
}

func commandList() []string {
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	return names
}

func commandNames() string {
	return strings.Join(commandList(), " or ")
}

// parseCommand parses args with fs, the flags of the subcommand name. A
// flag that only another subcommand has is refused with a message saying
// whose it is; anything else is the flag package's to report.
func parseCommand(fs *flag.FlagSet, name string, args []string, stderr io.Writer) error {
	if flagName := foreignFlag(fs, args); flagName != "" {
		for _, other := range commands() {
			if other.name != name && other.flags(io.Discard).Lookup(flagName) != nil {
				self, _ := lookupCommand(name)
				return fmt.Errorf("-%s is a flag of hush-load %s, not of hush-load %s: %s", flagName, other.name, name, self.note)
			}
		}
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	return nil
}

// foreignFlag returns the name of the first flag in args that fs does not
// define, or "". It reads args as fs.Parse does: flags up to the first
// non-flag argument or "--", a value after each non-boolean flag given
// without "=".
func foreignFlag(fs *flag.FlagSet, args []string) string {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" || a == "-" || !strings.HasPrefix(a, "-") {
			return ""
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f := fs.Lookup(name)
		if f == nil {
			if name == "h" || name == "help" {
				return ""
			}
			return name
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !hasValue && !(ok && b.IsBoolFlag()) {
			i++ // the flag's value
		}
	}
	return ""
}

// runEndpoints is `hush-load endpoints`: the load table.
func runEndpoints(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseEndpoints(args, stderr)
	if err != nil {
		return err
	}
	rep, err := execute(ctx, c, stdout, stderr)
	if err != nil {
		return err
	}
	return render(stdout, rep)
}

// dayConfig is a parsed command line of `hush-load day`.
type dayConfig struct {
	Stack string
	// Throttle keeps the stack's method throttling on.
	Throttle bool
	// Quick shrinks the day for tests.
	Quick bool
	// WriteTimeout bounds each write of the local stack; 0 is the cloud's
	// bound (localcloud.DefaultWriteTimeout).
	WriteTimeout time.Duration
}

// dayFlags returns the flags of `hush-load day`, which fill c.
func dayFlags(c *dayConfig, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("hush-load day", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: hush-load day [flags]\n\n"+
			"The tournament-day profile: a local stack of every region of -stack,\n"+
			"tournaments of 20 and 3,000 matches among the same players, each kind\n"+
			"of request probed alone (DynamoDB requests, capacity, log bytes), then\n"+
			"spectators polling in every region while scorekeepers write; tables\n"+
			"of latency, 304s and cost per request and per day.\n\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&c.Stack, "stack", "dev", "stack whose regions the local stack serves (make bench-day: prod, three regions)")
	fs.BoolVar(&c.Throttle, "throttle", false, "keep the stack's API Gateway method throttling on; off by default, as the compressed day polls far faster than a real one")
	fs.BoolVar(&c.Quick, "quick", false, "small tournaments and a short polling phase, for tests (figures not representative)")
	fs.DurationVar(&c.WriteTimeout, "write-timeout", 0, "bound of one write on the local stack; 0 is the Lambda functions' bound, as in the cloud")
	return fs
}

// parseDay reads the flags of `hush-load day`.
func parseDay(args []string, stderr io.Writer) (dayConfig, error) {
	var c dayConfig
	if err := parseCommand(dayFlags(&c, stderr), cmdDay, args, stderr); err != nil {
		return dayConfig{}, err
	}
	if err := checkWriteTimeout(c.WriteTimeout); err != nil {
		return dayConfig{}, err
	}
	return c, nil
}
