package lambdaops

import (
	"strconv"
	"strings"
	"time"
)

// ProgressTagPrefix + <alias> records where the rollout of that alias
// stands, written by the provider at every event of a rollout (started,
// each step, the end), so that `rolloutctl status` can show a rollout in
// progress that only the running apply knows: the schedule, the step,
// when it began, the gate thresholds, and how the last one ended.
const ProgressTagPrefix = ReservedTagPrefix + "progress:"

// ProgressStep is one step of a recorded schedule.
type ProgressStep struct {
	WeightPercent float64
	Hold          time.Duration
}

// Progress is a rollout's record in its progress tag.
type Progress struct {
	Status         string // in_progress, promoted, rolled_back, aborted
	Event          string // the last event (started, step_advanced, held, ...)
	From, To       string
	Step           int // 1-based; 0 before the first shift
	WeightPercent  float64
	Started        time.Time
	StepStarted    time.Time
	At             time.Time // of the last event
	Interval       time.Duration
	Deadline       time.Duration
	Steps          []ProgressStep
	MaxErrorRate   *float64
	MaxP99MS       *float64
	MinInvocations int
	Gate           string
	Value          *float64
	Threshold      *float64
}

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'g', 6, 64) }

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(compactTime)
}

// The tag's keys are short: a value holds at most 256 characters, and a
// nine-step schedule with every gate must fit.
//
//	st status  ev event  f/t from/to  n step  w weight  t0 started
//	ts step start (seconds after t0)  ta last event (seconds after t0)
//	iv interval  dl deadline (seconds)  s schedule: w:hold+w:hold, or w+w@hold
//	g gate  v/th value/threshold  me/mp/mi max_error_rate/max_p99/min_invocations

// TagValue renders the record in the characters and the 256 characters AWS
// allows in a tag value; the optional fields at the end go first.
func (p Progress) TagValue() string {
	secs := func(d time.Duration) string { return strconv.FormatInt(int64(d/time.Second), 10) }
	since := func(t time.Time) string {
		if t.IsZero() || p.Started.IsZero() {
			return ""
		}
		return secs(t.Sub(p.Started))
	}
	weights := make([]string, 0, len(p.Steps))
	sched := make([]string, 0, len(p.Steps))
	same := true
	for _, s := range p.Steps {
		weights = append(weights, fmtFloat(s.WeightPercent))
		sched = append(sched, fmtFloat(s.WeightPercent)+":"+secs(s.Hold))
		same = same && s.Hold == p.Steps[0].Hold
	}
	s := strings.Join(sched, "+")
	if same && len(p.Steps) > 1 {
		s = strings.Join(weights, "+") + "@" + secs(p.Steps[0].Hold)
	}
	fields := []string{"st=" + p.Status, "ev=" + p.Event, "f=" + p.From, "t=" + p.To, "n=" + strconv.Itoa(p.Step),
		"w=" + fmtFloat(p.WeightPercent), "t0=" + fmtTime(p.Started), "ts=" + since(p.StepStarted), "ta=" + since(p.At),
		"iv=" + secs(p.Interval), "dl=" + secs(p.Deadline), "s=" + s}
	if p.Gate != "" {
		fields = append(fields, "g="+tagUnsafe.ReplaceAllString(p.Gate, "_"))
	}
	if p.Value != nil && p.Threshold != nil {
		fields = append(fields, "v="+fmtFloat(*p.Value), "th="+fmtFloat(*p.Threshold))
	}
	if p.MaxErrorRate != nil {
		fields = append(fields, "me="+fmtFloat(*p.MaxErrorRate))
	}
	if p.MaxP99MS != nil {
		fields = append(fields, "mp="+fmtFloat(*p.MaxP99MS))
	}
	if p.MinInvocations > 0 {
		fields = append(fields, "mi="+strconv.Itoa(p.MinInvocations))
	}
	out := ""
	for _, f := range fields {
		if len(out)+len(f)+1 > 256 {
			break
		}
		if out != "" {
			out += " "
		}
		out += f
	}
	return out
}

// ParseProgress reads a progress tag's value; ok is false when it names
// no status.
func ParseProgress(value string) (p Progress, ok bool) {
	num := func(v string) *float64 {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil
		}
		return &n
	}
	secs := func(v string) time.Duration {
		n, _ := strconv.ParseInt(v, 10, 64)
		return time.Duration(n) * time.Second
	}
	var ts, ta string
	for _, f := range strings.Fields(value) {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "st":
			p.Status = v
		case "ev":
			p.Event = v
		case "f":
			p.From = v
		case "t":
			p.To = v
		case "n":
			p.Step, _ = strconv.Atoi(v)
		case "w":
			if n := num(v); n != nil {
				p.WeightPercent = *n
			}
		case "t0":
			p.Started, _ = time.Parse(compactTime, v)
		case "ts":
			ts = v
		case "ta":
			ta = v
		case "iv":
			p.Interval = secs(v)
		case "dl":
			p.Deadline = secs(v)
		case "s":
			if ws, hold, common := strings.Cut(v, "@"); common {
				for _, w := range strings.Split(ws, "+") {
					if n := num(w); n != nil {
						p.Steps = append(p.Steps, ProgressStep{WeightPercent: *n, Hold: secs(hold)})
					}
				}
				continue
			}
			for _, s := range strings.Split(v, "+") {
				w, h, found := strings.Cut(s, ":")
				if n := num(w); found && n != nil {
					p.Steps = append(p.Steps, ProgressStep{WeightPercent: *n, Hold: secs(h)})
				}
			}
		case "g":
			p.Gate = v
		case "v":
			p.Value = num(v)
		case "th":
			p.Threshold = num(v)
		case "me":
			p.MaxErrorRate = num(v)
		case "mp":
			p.MaxP99MS = num(v)
		case "mi":
			p.MinInvocations, _ = strconv.Atoi(v)
		}
	}
	if !p.Started.IsZero() {
		if ts != "" {
			p.StepStarted = p.Started.Add(secs(ts))
		}
		if ta != "" {
			p.At = p.Started.Add(secs(ta))
		}
	}
	return p, p.Status != ""
}
