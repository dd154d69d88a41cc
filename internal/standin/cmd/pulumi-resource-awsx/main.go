// Command pulumi-resource-awsx is the stand-in awsx provider plugin of the deploy tests (package standin).
package main

import "github.com/opendash/opendash/internal/standin"

func main() { standin.Main("awsx", standin.AWSXVersion) }
