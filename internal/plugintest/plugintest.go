// Package plugintest asks a Pulumi resource plugin binary what the Pulumi engine asks it first, for tests
// of built and released plugins.
package plugintest

import (
	"bufio"
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"
)

// Info is what a plugin said about itself.
type Info struct {
	Version string // GetPluginInfo's version, which the engine compares with the version it asked for
	// From GetSchema:
	SchemaVersion     string
	PluginDownloadURL string
}

// Ask starts the plugin as the engine does (it prints the port it serves on), asks it for its version and
// its schema, and stops it.
func Ask(t *testing.T, plugin string) Info {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, plugin)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	port, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("%s printed no port: %v", plugin, err)
	}
	conn, err := grpc.NewClient("127.0.0.1:"+strings.TrimSpace(port), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := pulumirpc.NewResourceProviderClient(conn)
	info, err := client.GetPluginInfo(ctx, &emptypb.Empty{})
	if err != nil {
		t.Fatalf("%s: GetPluginInfo: %v", plugin, err)
	}
	resp, err := client.GetSchema(ctx, &pulumirpc.GetSchemaRequest{})
	if err != nil {
		t.Fatalf("%s: GetSchema: %v", plugin, err)
	}
	var schema struct{ Version, PluginDownloadURL string }
	if err := json.Unmarshal([]byte(resp.Schema), &schema); err != nil {
		t.Fatalf("%s: GetSchema: %v", plugin, err)
	}
	return Info{Version: info.Version, SchemaVersion: schema.Version, PluginDownloadURL: schema.PluginDownloadURL}
}
