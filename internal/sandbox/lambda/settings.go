package lambda

// The versioned settings beyond code, memory and environment (VPC,
// dead-letter queue, tracing, ephemeral storage, logging, file system,
// SnapStart, image configuration, KMS key): what CreateFunction and
// UpdateFunctionConfiguration accept, how AWS validates them, and the
// shapes GetFunctionConfiguration answers with.

import (
	"fmt"
	"regexp"
	"strings"
)

var (
	// Patterns of the Lambda service model.
	targetARNRE  = regexp.MustCompile(`^(arn:(aws[a-zA-Z-]*)?:[a-z0-9-.]+:.*)?$`)
	kmsKeyARNRE  = targetARNRE
	efsARNRE     = regexp.MustCompile(`^arn:aws[a-zA-Z-]*:elasticfilesystem:[a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\d{1}:\d{12}:access-point/fsap-[a-f0-9]{17}$`)
	mountPathRE  = regexp.MustCompile(`^/mnt/[a-zA-Z0-9-_.]+$`)
	logGroupRE   = regexp.MustCompile(`^[\.\-_/#A-Za-z0-9]+$`)
	subnetIDRE   = regexp.MustCompile(`^subnet-[0-9a-f]+$`)
	secGroupIDRE = regexp.MustCompile(`^sg-[0-9a-f]+$`)
)

const (
	targetARNPattern = `(arn:(aws[a-zA-Z-]*)?:[a-z0-9-.]+:.*)|()`
	efsARNPattern    = `arn:aws[a-zA-Z-]*:elasticfilesystem:[a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\d{1}:\d{12}:access-point/fsap-[a-f0-9]{17}`
	mountPathPattern = `^/mnt/[a-zA-Z0-9-_.]+$`
	logGroupPattern  = `[\.\-_/#A-Za-z0-9]+`
)

// settingsIn are the versioned settings of a create or update request;
// nil members are not changed.
type settingsIn struct {
	VpcConfig *struct {
		SubnetIds               []string `json:"SubnetIds"`
		SecurityGroupIds        []string `json:"SecurityGroupIds"`
		Ipv6AllowedForDualStack *bool    `json:"Ipv6AllowedForDualStack"`
	} `json:"VpcConfig"`
	DeadLetterConfig *struct {
		TargetArn string `json:"TargetArn"`
	} `json:"DeadLetterConfig"`
	TracingConfig *struct {
		Mode string `json:"Mode"`
	} `json:"TracingConfig"`
	EphemeralStorage *struct {
		Size int32 `json:"Size"`
	} `json:"EphemeralStorage"`
	LoggingConfig *struct {
		LogFormat           string `json:"LogFormat"`
		ApplicationLogLevel string `json:"ApplicationLogLevel"`
		SystemLogLevel      string `json:"SystemLogLevel"`
		LogGroup            string `json:"LogGroup"`
	} `json:"LoggingConfig"`
	FileSystemConfigs *[]fileSystemConfig `json:"FileSystemConfigs"`
	SnapStart         *struct {
		ApplyOn string `json:"ApplyOn"`
	} `json:"SnapStart"`
	ImageConfig *imageConfig `json:"ImageConfig"`
	KMSKeyArn   *string      `json:"KMSKeyArn"`
}

type fileSystemConfig struct {
	Arn            string `json:"Arn"`
	LocalMountPath string `json:"LocalMountPath"`
}

type imageConfig struct {
	EntryPoint       []string `json:"EntryPoint,omitempty"`
	Command          []string `json:"Command,omitempty"`
	WorkingDirectory string   `json:"WorkingDirectory,omitempty"`
}

// settingsRecord is what a version stores of its settings.
type settingsRecord struct {
	SubnetIDs        []string           `json:"subnet_ids,omitempty"`
	SecurityGroupIDs []string           `json:"security_group_ids,omitempty"`
	IPv6DualStack    bool               `json:"ipv6_dual_stack,omitempty"`
	VPCID            string             `json:"vpc_id,omitempty"`
	DeadLetterTarget string             `json:"dead_letter_target,omitempty"`
	LogFormat        string             `json:"log_format,omitempty"`
	ApplicationLevel string             `json:"application_log_level,omitempty"`
	SystemLevel      string             `json:"system_log_level,omitempty"`
	LogGroup         string             `json:"log_group,omitempty"`
	FileSystems      []fileSystemConfig `json:"file_systems,omitempty"`
	SnapStart        string             `json:"snap_start,omitempty"`
	Image            *imageConfig       `json:"image_config,omitempty"`
	KMSKeyARN        string             `json:"kms_key_arn,omitempty"`
}

// inVPC reports whether the function has network interfaces in a VPC.
func (s settingsRecord) inVPC() bool { return len(s.SubnetIDs) > 0 }

// validateSettings returns the ValidationException problems of the
// settings sent, in AWS's words.
func validateSettings(in settingsIn) []string {
	var p []string
	if v := in.VpcConfig; v != nil {
		if len(v.SubnetIds) > 16 {
			p = append(p, fmt.Sprintf("Value '[%s]' at 'vpcConfig.subnetIds' failed to satisfy constraint: Member must have length less than or equal to 16", strings.Join(v.SubnetIds, ", ")))
		}
		if len(v.SecurityGroupIds) > 5 {
			p = append(p, fmt.Sprintf("Value '[%s]' at 'vpcConfig.securityGroupIds' failed to satisfy constraint: Member must have length less than or equal to 5", strings.Join(v.SecurityGroupIds, ", ")))
		}
	}
	if d := in.DeadLetterConfig; d != nil && !targetARNRE.MatchString(d.TargetArn) {
		p = append(p, fmt.Sprintf("Value '%s' at 'deadLetterConfig.targetArn' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", d.TargetArn, targetARNPattern))
	}
	if t := in.TracingConfig; t != nil && t.Mode != "" && t.Mode != "Active" && t.Mode != "PassThrough" {
		p = append(p, fmt.Sprintf("Value '%s' at 'tracingConfig.mode' failed to satisfy constraint: Member must satisfy enum value set: [Active, PassThrough]", t.Mode))
	}
	if e := in.EphemeralStorage; e != nil {
		if e.Size < 512 {
			p = append(p, fmt.Sprintf("Value '%d' at 'ephemeralStorage.size' failed to satisfy constraint: Member must have value greater than or equal to 512", e.Size))
		} else if e.Size > 10240 {
			p = append(p, fmt.Sprintf("Value '%d' at 'ephemeralStorage.size' failed to satisfy constraint: Member must have value less than or equal to 10240", e.Size))
		}
	}
	if l := in.LoggingConfig; l != nil {
		if l.LogFormat != "" && l.LogFormat != "JSON" && l.LogFormat != "Text" {
			p = append(p, fmt.Sprintf("Value '%s' at 'loggingConfig.logFormat' failed to satisfy constraint: Member must satisfy enum value set: [JSON, Text]", l.LogFormat))
		}
		if l.ApplicationLogLevel != "" && !oneOf(l.ApplicationLogLevel, "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL") {
			p = append(p, fmt.Sprintf("Value '%s' at 'loggingConfig.applicationLogLevel' failed to satisfy constraint: Member must satisfy enum value set: [TRACE, DEBUG, INFO, WARN, ERROR, FATAL]", l.ApplicationLogLevel))
		}
		if l.SystemLogLevel != "" && !oneOf(l.SystemLogLevel, "DEBUG", "INFO", "WARN") {
			p = append(p, fmt.Sprintf("Value '%s' at 'loggingConfig.systemLogLevel' failed to satisfy constraint: Member must satisfy enum value set: [DEBUG, INFO, WARN]", l.SystemLogLevel))
		}
		if l.LogGroup != "" && (len(l.LogGroup) > 512 || !logGroupRE.MatchString(l.LogGroup)) {
			p = append(p, fmt.Sprintf("Value '%s' at 'loggingConfig.logGroup' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", l.LogGroup, logGroupPattern))
		}
	}
	if fs := in.FileSystemConfigs; fs != nil {
		if len(*fs) > 1 {
			p = append(p, "Value at 'fileSystemConfigs' failed to satisfy constraint: Member must have length less than or equal to 1")
		}
		for i, c := range *fs {
			if !efsARNRE.MatchString(c.Arn) {
				p = append(p, fmt.Sprintf("Value '%s' at 'fileSystemConfigs.%d.member.arn' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", c.Arn, i+1, efsARNPattern))
			}
			if len(c.LocalMountPath) > 160 || !mountPathRE.MatchString(c.LocalMountPath) {
				p = append(p, fmt.Sprintf("Value '%s' at 'fileSystemConfigs.%d.member.localMountPath' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", c.LocalMountPath, i+1, mountPathPattern))
			}
		}
	}
	if s := in.SnapStart; s != nil && s.ApplyOn != "" && s.ApplyOn != "PublishedVersions" && s.ApplyOn != "None" {
		p = append(p, fmt.Sprintf("Value '%s' at 'snapStart.applyOn' failed to satisfy constraint: Member must satisfy enum value set: [PublishedVersions, None]", s.ApplyOn))
	}
	if i := in.ImageConfig; i != nil && len(i.WorkingDirectory) > 1000 {
		p = append(p, "Value at 'imageConfig.workingDirectory' failed to satisfy constraint: Member must have length less than or equal to 1000")
	}
	if k := in.KMSKeyArn; k != nil && !kmsKeyARNRE.MatchString(*k) {
		p = append(p, fmt.Sprintf("Value '%s' at 'kMSKeyArn' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", *k, targetARNPattern))
	}
	return p
}

func oneOf(v string, allowed ...string) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	return false
}

// checkSettings applies the rules AWS answers with
// InvalidParameterValueException: they depend on the version the settings
// end up in (its package type, runtime and VPC).
func checkSettings(v *versionRecord) *Error {
	s := v.Settings
	if len(s.SubnetIDs) > 0 && len(s.SecurityGroupIDs) == 0 {
		return errInvalidParameter("SecurityGroupIds are required when SubnetIds are specified.")
	}
	for _, id := range s.SubnetIDs {
		if !subnetIDRE.MatchString(id) {
			return errInvalidParameter("Error occurred while DescribeSubnets. EC2 Error Code: InvalidSubnetID.NotFound. EC2 Error Message: The subnet ID '%s' does not exist", id)
		}
	}
	for _, id := range s.SecurityGroupIDs {
		if !secGroupIDRE.MatchString(id) {
			return errInvalidParameter("Error occurred while DescribeSecurityGroups. EC2 Error Code: InvalidGroup.NotFound. EC2 Error Message: The security group '%s' does not exist", id)
		}
	}
	if s.DeadLetterTarget != "" && !strings.HasPrefix(s.DeadLetterTarget, "arn:aws:sqs:") && !strings.HasPrefix(s.DeadLetterTarget, "arn:aws:sns:") {
		return errInvalidParameter("The provided target arn is invalid. Only SQS and SNS are allowed as targets.")
	}
	if s.LogFormat != "JSON" && (s.ApplicationLevel != "" || s.SystemLevel != "") {
		return errInvalidParameter("To set ApplicationLogLevel or SystemLogLevel, LogFormat must be JSON.")
	}
	if len(s.FileSystems) > 0 && !s.inVPC() {
		return errInvalidParameter("When specifying FileSystemConfigs, the function must be configured with a VPC (VpcConfig).")
	}
	if s.Image != nil && v.PackageType != "Image" {
		return errInvalidParameter("ImageConfig is not supported for functions with a Zip package type.")
	}
	if s.SnapStart == "PublishedVersions" && !snapStartRuntime(v.Runtime) {
		return errInvalidParameter("%s is not supported for SnapStart enabled functions.", v.Runtime)
	}
	return nil
}

// snapStartRuntime reports whether SnapStart supports runtime r (Java 11
// and later, Python 3.12 and later, .NET 8 and later).
func snapStartRuntime(r string) bool {
	switch {
	case strings.HasPrefix(r, "java") && r != "java8" && r != "java8.al2":
		return true
	case oneOf(r, "python3.12", "python3.13", "python3.14", "dotnet8", "dotnet10"):
		return true
	}
	return false
}

// applySettings writes the settings sent into v.
func applySettings(v *versionRecord, in settingsIn) {
	s := &v.Settings
	if c := in.VpcConfig; c != nil {
		s.SubnetIDs, s.SecurityGroupIDs = append([]string(nil), c.SubnetIds...), append([]string(nil), c.SecurityGroupIds...)
		s.IPv6DualStack = c.Ipv6AllowedForDualStack != nil && *c.Ipv6AllowedForDualStack
		s.VPCID = ""
		if len(s.SubnetIDs) > 0 {
			s.VPCID = "vpc-" + strings.TrimPrefix(s.SubnetIDs[0], "subnet-")
		} else {
			s.SubnetIDs, s.SecurityGroupIDs, s.IPv6DualStack = nil, nil, false
		}
	}
	if in.DeadLetterConfig != nil {
		s.DeadLetterTarget = in.DeadLetterConfig.TargetArn
	}
	if in.TracingConfig != nil && in.TracingConfig.Mode != "" {
		v.TracingMode = in.TracingConfig.Mode
	}
	if in.EphemeralStorage != nil && in.EphemeralStorage.Size != 0 {
		v.EphemeralSize = in.EphemeralStorage.Size
	}
	if l := in.LoggingConfig; l != nil {
		if l.LogFormat != "" {
			s.LogFormat = l.LogFormat
		}
		s.ApplicationLevel, s.SystemLevel = l.ApplicationLogLevel, l.SystemLogLevel
		if s.LogFormat == "JSON" {
			// AWS fills in INFO for the levels of a JSON format.
			if s.ApplicationLevel == "" {
				s.ApplicationLevel = "INFO"
			}
			if s.SystemLevel == "" {
				s.SystemLevel = "INFO"
			}
		}
		if l.LogGroup != "" {
			s.LogGroup = l.LogGroup
		}
	}
	if in.FileSystemConfigs != nil {
		s.FileSystems = append([]fileSystemConfig(nil), (*in.FileSystemConfigs)...)
	}
	if in.SnapStart != nil && in.SnapStart.ApplyOn != "" {
		s.SnapStart = in.SnapStart.ApplyOn
	}
	if in.ImageConfig != nil {
		c := *in.ImageConfig
		s.Image = &c
		if len(c.Command) == 0 && len(c.EntryPoint) == 0 && c.WorkingDirectory == "" {
			s.Image = nil
		}
	}
	if in.KMSKeyArn != nil {
		s.KMSKeyARN = *in.KMSKeyArn
	}
}

// settingsOut are the members of a FunctionConfiguration that render the
// settings, as AWS shapes them: VpcConfig, DeadLetterConfig, KMSKeyArn,
// FileSystemConfigs and ImageConfigResponse only when set; LoggingConfig
// and SnapStart always.
type settingsOut struct {
	VpcConfig           *vpcConfigOut      `json:"VpcConfig,omitempty"`
	DeadLetterConfig    map[string]string  `json:"DeadLetterConfig,omitempty"`
	KMSKeyArn           string             `json:"KMSKeyArn,omitempty"`
	FileSystemConfigs   []fileSystemConfig `json:"FileSystemConfigs,omitempty"`
	ImageConfigResponse map[string]any     `json:"ImageConfigResponse,omitempty"`
	SnapStart           map[string]string  `json:"SnapStart"`
	LoggingConfig       map[string]string  `json:"LoggingConfig"`
}

type vpcConfigOut struct {
	SubnetIds               []string `json:"SubnetIds"`
	SecurityGroupIds        []string `json:"SecurityGroupIds"`
	VpcID                   string   `json:"VpcId"`
	Ipv6AllowedForDualStack bool     `json:"Ipv6AllowedForDualStack"`
}

// settingsOut renders the settings of v of function name; published
// reports a published version (SnapStart's optimization applies to those).
func (s settingsRecord) out(name string, published bool) settingsOut {
	o := settingsOut{KMSKeyArn: s.KMSKeyARN, FileSystemConfigs: s.FileSystems}
	if s.inVPC() {
		o.VpcConfig = &vpcConfigOut{SubnetIds: s.SubnetIDs, SecurityGroupIds: s.SecurityGroupIDs, VpcID: s.VPCID, Ipv6AllowedForDualStack: s.IPv6DualStack}
	}
	if s.DeadLetterTarget != "" {
		o.DeadLetterConfig = map[string]string{"TargetArn": s.DeadLetterTarget}
	}
	if s.Image != nil {
		o.ImageConfigResponse = map[string]any{"ImageConfig": s.Image}
	}
	o.SnapStart = map[string]string{"ApplyOn": "None", "OptimizationStatus": "Off"}
	if s.SnapStart == "PublishedVersions" {
		o.SnapStart["ApplyOn"] = "PublishedVersions"
		if published {
			o.SnapStart["OptimizationStatus"] = "On"
		}
	}
	format, group := s.LogFormat, s.LogGroup
	if format == "" {
		format = "Text"
	}
	if group == "" {
		group = "/aws/lambda/" + name
	}
	o.LoggingConfig = map[string]string{"LogFormat": format, "LogGroup": group}
	if format == "JSON" {
		o.LoggingConfig["ApplicationLogLevel"], o.LoggingConfig["SystemLogLevel"] = s.ApplicationLevel, s.SystemLevel
	}
	return o
}
