package esm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/google/uuid"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/lambda"
)

// The control plane, with the shapes of botocore's lambda 2015-03-31
// model (EventSourceMappingConfiguration, ListEventSourceMappingsResponse)
// and its status codes: Create, Update and Delete answer 202, Get and
// List 200.

const pathPrefix = "/2015-03-31/event-source-mappings"

// Match maps method and path to the event source mapping operation; ok is
// false when the path is not theirs, and op is "" when there is no such
// operation there.
func Match(r *http.Request) (op, id string, ok bool) {
	p := strings.TrimRight(r.URL.Path, "/")
	switch {
	case p == pathPrefix:
		switch r.Method {
		case http.MethodPost:
			return "CreateEventSourceMapping", "", true
		case http.MethodGet:
			return "ListEventSourceMappings", "", true
		}
		return "", "", true
	case strings.HasPrefix(p, pathPrefix+"/"):
		id = strings.TrimPrefix(p, pathPrefix+"/")
		if strings.Contains(id, "/") {
			return "", "", true
		}
		switch r.Method {
		case http.MethodGet:
			return "GetEventSourceMapping", id, true
		case http.MethodPut:
			return "UpdateEventSourceMapping", id, true
		case http.MethodDelete:
			return "DeleteEventSourceMapping", id, true
		}
		return "", "", true
	}
	return "", "", false
}

// Note is what an answer said, for the call journal: the mapping's
// function and qualifier, and the State answered.
type Note struct {
	Function, Qualifier, State string
}

// Serve answers one request Match routed; region is the caller's.
func (m *Manager) Serve(w http.ResponseWriter, r *http.Request, region, op, id string) Note {
	var out any
	var err *lambda.Error
	status := http.StatusOK
	switch op {
	case "CreateEventSourceMapping":
		status = http.StatusAccepted
		out, err = m.create(r, region)
	case "GetEventSourceMapping":
		out, err = m.get(id)
	case "UpdateEventSourceMapping":
		status = http.StatusAccepted
		out, err = m.update(r, region, id)
	case "DeleteEventSourceMapping":
		status = http.StatusAccepted
		out, err = m.remove(id)
	case "ListEventSourceMappings":
		out, err = m.list(r)
	default:
		err = &lambda.Error{Status: 404, Code: "UnknownOperationException", Message: "Unknown operation " + r.Method + " " + r.URL.Path}
	}
	if err == nil {
		if derr := m.durable(); derr != nil {
			err = &lambda.Error{Status: 500, Code: "ServiceException", Message: "The sandbox could not complete the request: " + derr.Error()}
		}
	}
	if err != nil {
		lambda.WriteError(w, err)
		return Note{}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(out)
	if cfg, ok := out.(configuration); ok {
		name, qualifier, _ := strings.Cut(functionName(cfg.FunctionArn), ":")
		return Note{Function: name, Qualifier: qualifier, State: cfg.State}
	}
	return Note{}
}

// configuration is EventSourceMappingConfiguration, the fields an SQS
// mapping has.
type configuration struct {
	UUID                           string   `json:"UUID"`
	BatchSize                      int      `json:"BatchSize"`
	MaximumBatchingWindowInSeconds int      `json:"MaximumBatchingWindowInSeconds"`
	EventSourceArn                 string   `json:"EventSourceArn"`
	FunctionArn                    string   `json:"FunctionArn"`
	LastModified                   float64  `json:"LastModified"`
	State                          string   `json:"State"`
	StateTransitionReason          string   `json:"StateTransitionReason"`
	FunctionResponseTypes          []string `json:"FunctionResponseTypes"`
	EventSourceMappingArn          string   `json:"EventSourceMappingArn"`
}

func (m *Manager) configuration(mp *mapping) configuration {
	types := mp.ResponseTypes
	if types == nil {
		types = []string{}
	}
	return configuration{UUID: mp.UUID, BatchSize: mp.BatchSize, MaximumBatchingWindowInSeconds: mp.Window, EventSourceArn: mp.EventSourceArn,
		FunctionArn: mp.FunctionArn, LastModified: float64(mp.LastModified.UnixMilli()) / 1000, State: mp.State, StateTransitionReason: mp.Reason,
		FunctionResponseTypes: types,
		EventSourceMappingArn: fmt.Sprintf("arn:aws:lambda:%s:%s:event-source-mapping:%s", mp.Region, m.deps.AccountID, mp.UUID)}
}

// mappingIn is the body of Create and Update; a pointer is nil when the
// field was not given.
type mappingIn struct {
	EventSourceArn                 *string  `json:"EventSourceArn"`
	FunctionName                   *string  `json:"FunctionName"`
	Enabled                        *bool    `json:"Enabled"`
	BatchSize                      *int     `json:"BatchSize"`
	MaximumBatchingWindowInSeconds *int     `json:"MaximumBatchingWindowInSeconds"`
	FunctionResponseTypes          []string `json:"FunctionResponseTypes"`
	hasResponseTypes               bool
}

// unsupported are the parameters of other event source types: AWS refuses
// them on an SQS mapping.
var unsupported = []string{"StartingPosition", "StartingPositionTimestamp", "ParallelizationFactor", "MaximumRecordAgeInSeconds",
	"BisectBatchOnFunctionError", "MaximumRetryAttempts", "TumblingWindowInSeconds", "Topics", "Queues", "DestinationConfig",
	"SelfManagedEventSource", "AmazonManagedKafkaEventSourceConfig", "SelfManagedKafkaEventSourceConfig", "DocumentDBEventSourceConfig"}

func decode(r *http.Request) (*mappingIn, *lambda.Error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil, &lambda.Error{Status: 400, Code: "InvalidRequestContentException", Message: "Could not read request body: " + err.Error()}
	}
	in := &mappingIn{}
	if len(bytes.TrimSpace(b)) == 0 {
		return in, nil
	}
	var present map[string]json.RawMessage
	if err := json.Unmarshal(b, &present); err != nil {
		return nil, &lambda.Error{Status: 400, Code: "InvalidRequestContentException", Message: "Could not parse request body into json: " + err.Error()}
	}
	if err := json.Unmarshal(b, in); err != nil {
		return nil, &lambda.Error{Status: 400, Code: "InvalidRequestContentException", Message: "Could not parse request body into json: " + err.Error()}
	}
	for _, k := range unsupported {
		if v, ok := present[k]; ok && string(v) != "null" {
			return nil, invalidParameter("Unsupported %s parameter for given event source mapping type.", k)
		}
	}
	_, in.hasResponseTypes = present["FunctionResponseTypes"]
	return in, in.check()
}

// check applies the model's constraints (BatchSize 1..10000,
// MaximumBatchingWindowInSeconds 0..300, FunctionResponseTypes) as AWS's
// validator words them.
func (in *mappingIn) check() *lambda.Error {
	var problems []string
	if in.BatchSize != nil {
		switch {
		case *in.BatchSize < 1:
			problems = append(problems, fmt.Sprintf("Value '%d' at 'batchSize' failed to satisfy constraint: Member must have value greater than or equal to 1", *in.BatchSize))
		case *in.BatchSize > 10000:
			problems = append(problems, fmt.Sprintf("Value '%d' at 'batchSize' failed to satisfy constraint: Member must have value less than or equal to 10000", *in.BatchSize))
		}
	}
	if in.MaximumBatchingWindowInSeconds != nil {
		switch w := *in.MaximumBatchingWindowInSeconds; {
		case w < 0:
			problems = append(problems, fmt.Sprintf("Value '%d' at 'maximumBatchingWindowInSeconds' failed to satisfy constraint: Member must have value greater than or equal to 0", w))
		case w > 300:
			problems = append(problems, fmt.Sprintf("Value '%d' at 'maximumBatchingWindowInSeconds' failed to satisfy constraint: Member must have value less than or equal to 300", w))
		}
	}
	if len(in.FunctionResponseTypes) > 1 {
		problems = append(problems, fmt.Sprintf("Value '%v' at 'functionResponseTypes' failed to satisfy constraint: Member must have length less than or equal to 1", in.FunctionResponseTypes))
	}
	for _, t := range in.FunctionResponseTypes {
		if t != "ReportBatchItemFailures" {
			problems = append(problems, fmt.Sprintf("Value '[%s]' at 'functionResponseTypes' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [ReportBatchItemFailures]]", t))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	noun := "error"
	if len(problems) > 1 {
		noun = "errors"
	}
	return &lambda.Error{Status: 400, Code: "ValidationException", Message: fmt.Sprintf("%d validation %s detected: %s", len(problems), noun, strings.Join(problems, "; "))}
}

func invalidParameter(format string, a ...any) *lambda.Error {
	return &lambda.Error{Status: 400, Code: "InvalidParameterValueException", Message: fmt.Sprintf(format, a...)}
}

func notFound() *lambda.Error {
	return &lambda.Error{Status: 404, Code: "ResourceNotFoundException", Message: "The resource you requested does not exist."}
}

// inUse refuses a change while a transition is under way.
func inUse(verb string, mp *mapping) *lambda.Error {
	return &lambda.Error{Status: 400, Code: "ResourceInUseException", Message: fmt.Sprintf(
		"Cannot %s the event source mapping because it is in use: its state is %s. Wait until GetEventSourceMapping reports Enabled or Disabled, then retry.", verb, mp.State)}
}

func conflict(mp *mapping) *lambda.Error {
	return &lambda.Error{Status: 409, Code: "ResourceConflictException", Message: fmt.Sprintf(
		"An event source mapping with SQS arn (\" %s \") and function (\" %s \") already exists. Please update or delete the existing mapping with UUID %s",
		mp.EventSourceArn, functionName(mp.FunctionArn), mp.UUID)}
}

// batchRule is AWS's rule for SQS: a batch over 10 needs a batching window.
func batchRule(size, window int) *lambda.Error {
	if size > 10 && window == 0 {
		return invalidParameter("Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10")
	}
	return nil
}

var sqsARNRE = regexp.MustCompile(`^arn:aws[a-zA-Z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}$`)

func (m *Manager) create(r *http.Request, region string) (any, *lambda.Error) {
	in, err := decode(r)
	if err != nil {
		return nil, err
	}
	if in.FunctionName == nil || *in.FunctionName == "" {
		return nil, &lambda.Error{Status: 400, Code: "ValidationException", Message: "1 validation error detected: Value null at 'functionName' failed to satisfy constraint: Member must not be null"}
	}
	source := ""
	if in.EventSourceArn != nil {
		source = *in.EventSourceArn
	}
	if !sqsARNRE.MatchString(source) {
		return nil, invalidParameter("The sandbox maps SQS queues only: EventSourceArn %q is not an SQS queue ARN (for example arn:aws:sqs:%s:%s:orders).", source, region, m.deps.AccountID)
	}
	if !m.deps.Queues.QueueExists(source) {
		return nil, invalidParameter("Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified queue does not exist for this wsdl version.")
	}
	fnARN, err := m.deps.Functions.ResolveFunction(*in.FunctionName, region)
	if err != nil {
		return nil, err
	}
	mp := &mapping{UUID: uuid.NewString(), Region: region, EventSourceArn: source, FunctionArn: fnARN, BatchSize: 10, Enabled: true,
		State: "Creating", Reason: "USER_INITIATED", ResponseTypes: in.FunctionResponseTypes}
	if in.BatchSize != nil {
		mp.BatchSize = *in.BatchSize
	}
	if in.MaximumBatchingWindowInSeconds != nil {
		mp.Window = *in.MaximumBatchingWindowInSeconds
	}
	if in.Enabled != nil {
		mp.Enabled = *in.Enabled
	}
	if err := batchRule(mp.BatchSize, mp.Window); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, other := range m.mappings {
		if other.EventSourceArn == mp.EventSourceArn && other.FunctionArn == mp.FunctionArn {
			return nil, conflict(other)
		}
	}
	m.seq++
	mp.Seq = m.seq
	mp.Created = m.deps.Now()
	mp.LastModified = mp.Created
	m.mappings[mp.UUID] = mp
	if err := m.saveLocked(mp); err != nil {
		return nil, serviceError(err)
	}
	out := m.configuration(mp)
	m.reconcileLocked(mp)
	return out, nil
}

func serviceError(err error) *lambda.Error {
	return &lambda.Error{Status: 500, Code: "ServiceException", Message: "The sandbox could not complete the request: " + err.Error()}
}

func (m *Manager) get(id string) (any, *lambda.Error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	mp := m.mappings[id]
	if mp == nil {
		return nil, notFound()
	}
	return m.configuration(mp), nil
}

func (m *Manager) update(r *http.Request, region, id string) (any, *lambda.Error) {
	in, err := decode(r)
	if err != nil {
		return nil, err
	}
	fnARN := ""
	if in.FunctionName != nil {
		if fnARN, err = m.deps.Functions.ResolveFunction(*in.FunctionName, region); err != nil {
			return nil, err
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	mp := m.mappings[id]
	if mp == nil {
		return nil, notFound()
	}
	if transitional(mp.State) {
		return nil, inUse("update", mp)
	}
	next := *mp
	if fnARN != "" {
		next.FunctionArn = fnARN
	}
	if in.BatchSize != nil {
		next.BatchSize = *in.BatchSize
	}
	if in.MaximumBatchingWindowInSeconds != nil {
		next.Window = *in.MaximumBatchingWindowInSeconds
	}
	if in.hasResponseTypes {
		next.ResponseTypes = in.FunctionResponseTypes
	}
	if in.Enabled != nil {
		next.Enabled = *in.Enabled
	}
	if err := batchRule(next.BatchSize, next.Window); err != nil {
		return nil, err
	}
	if next.FunctionArn != mp.FunctionArn {
		for _, other := range m.mappings {
			if other.UUID != mp.UUID && other.EventSourceArn == next.EventSourceArn && other.FunctionArn == next.FunctionArn {
				return nil, conflict(other)
			}
		}
	}
	switch {
	case next.Enabled && !mp.Enabled:
		next.State = "Enabling"
	case !next.Enabled && mp.Enabled:
		next.State = "Disabling"
	default:
		next.State = "Updating"
	}
	next.Reason, next.LastModified = "USER_INITIATED", m.deps.Now()
	*mp = next
	if err := m.saveLocked(mp); err != nil {
		return nil, serviceError(err)
	}
	out := m.configuration(mp)
	m.reconcileLocked(mp)
	return out, nil
}

func (m *Manager) remove(id string) (any, *lambda.Error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	mp := m.mappings[id]
	if mp == nil {
		return nil, notFound()
	}
	if transitional(mp.State) {
		return nil, inUse("delete", mp)
	}
	mp.State, mp.Reason, mp.LastModified = "Deleting", "USER_INITIATED", m.deps.Now()
	if err := m.saveLocked(mp); err != nil {
		return nil, serviceError(err)
	}
	out := m.configuration(mp)
	m.reconcileLocked(mp)
	return out, nil
}

// functionName is the name[:qualifier] part of a function ARN or name.
func functionName(ref string) string {
	if a, err := arn.Parse(ref); err == nil {
		return strings.TrimPrefix(a.Resource, "function:")
	}
	return ref
}

func (m *Manager) list(r *http.Request) (any, *lambda.Error) {
	q := r.URL.Query()
	most := 100
	if v := q.Get("MaxItems"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return nil, &lambda.Error{Status: 400, Code: "ValidationException", Message: fmt.Sprintf("1 validation error detected: Value '%s' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 10000", v)}
		}
		most = n
	}
	source, fn := q.Get("EventSourceArn"), q.Get("FunctionName")
	fnName, fnQualifier, _ := strings.Cut(functionName(fn), ":")
	marker := q.Get("Marker")
	m.mu.Lock()
	defer m.mu.Unlock()
	all := sorted(m.mappings)
	start := 0
	if marker != "" {
		start = -1
		for i, mp := range all {
			if mp.UUID == marker {
				start = i + 1
			}
		}
		if start < 0 {
			return nil, invalidParameter("Invalid Marker %q: pass the NextMarker of the previous ListEventSourceMappings answer.", marker)
		}
	}
	page := []configuration{}
	next := ""
	for _, mp := range all[start:] {
		if source != "" && mp.EventSourceArn != source {
			continue
		}
		if fn != "" {
			name, qualifier, _ := strings.Cut(functionName(mp.FunctionArn), ":")
			if name != fnName || (fnQualifier != "" && qualifier != fnQualifier) {
				continue
			}
		}
		if len(page) == most {
			next = page[len(page)-1].UUID
			break
		}
		page = append(page, m.configuration(mp))
	}
	out := map[string]any{"EventSourceMappings": page}
	if next != "" {
		out["NextMarker"] = next
	}
	return out, nil
}

func marshal(v any) ([]byte, error) { return json.Marshal(v) }
