// Command pulumi-resource-aws is the stand-in aws provider plugin of the deploy tests (package standin).
package main

import (
	"github.com/opendash/opendash/component"
	"github.com/opendash/opendash/internal/standin"
)

func main() { standin.Main("aws", component.AWSPackageVersion) }
