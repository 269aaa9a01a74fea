package browsertest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chromedp/chromedp"
)

// consoleLog collects the console messages of a tab that New opened.
type consoleLog struct {
	mu   sync.Mutex
	msgs []chromedp.ConsoleMessage
	done chan struct{}
}

type consoleKey struct{}

// syncPrefix starts the text of the marker messages that ConsoleMessages
// writes to find the end of the messages so far.
const syncPrefix = "browsertest-console-sync-"

var syncCounter atomic.Int64

// watchConsole starts to collect the console messages of the tab of ctx,
// until ctx ends.
func watchConsole(ctx context.Context) *consoleLog {
	c := &consoleLog{done: make(chan struct{})}
	msgs := chromedp.Console(ctx) // subscribes now
	go func() {
		defer close(c.done)
		for m, err := range msgs {
			if err != nil {
				return
			}
			c.mu.Lock()
			c.msgs = append(c.msgs, m)
			c.mu.Unlock()
		}
	}()
	return c
}

// all returns the messages without the markers. When marker is not "", it
// also reports whether the marker has arrived.
func (c *consoleLog) all(marker string) ([]chromedp.ConsoleMessage, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []chromedp.ConsoleMessage
	seen := false
	for _, m := range c.msgs {
		if strings.HasPrefix(m.Text, syncPrefix) {
			seen = seen || m.Text == marker
			continue
		}
		out = append(out, m)
	}
	return out, seen
}

// ConsoleMessages returns the console messages, uncaught exceptions and
// browser log entries (such as Content-Security-Policy violations and failed
// requests) of the tab since New opened it, in order. It returns nil for a
// context that New did not make.
//
// The browser reports messages asynchronously. ConsoleMessages writes a
// marker message to the console of the page and waits until it arrives (at
// most 10 s, a timeout generous enough for a busy machine), so every message
// that the page wrote before the call is included.
func ConsoleMessages(ctx context.Context) []chromedp.ConsoleMessage {
	c, _ := ctx.Value(consoleKey{}).(*consoleLog)
	if c == nil {
		return nil
	}
	marker := fmt.Sprintf("%s%d", syncPrefix, syncCounter.Add(1))
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf("console.debug(%s)", jsString(marker)))); err == nil {
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) && ctx.Err() == nil {
			if _, ok := c.all(marker); ok {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	msgs, _ := c.all("")
	return msgs
}

// ConsoleErrors returns the texts of the messages of ConsoleMessages that are
// errors or uncaught exceptions, e.g. "Executing inline script violates the
// following Content Security Policy directive ...".
func ConsoleErrors(ctx context.Context) []string {
	var out []string
	for _, m := range ConsoleMessages(ctx) {
		if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException {
			out = append(out, m.String())
		}
	}
	return out
}
