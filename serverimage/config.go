package serverimage

import (
	"context"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// The image's configuration: the base's, with its ENTRYPOINT (/lambda-entrypoint.sh, the runtime interface
// client) and environment (LAMBDA_TASK_ROOT, PATH, LANG, TZ...) kept, CMD the handler as Lambda expects,
// /var/task as working folder, the target platform, and one history entry per added layer. Every time in it
// is the base's creation time: fixed by the base digest, so the image digest depends on no clock.

// layerHistory says how a layer was made, for `docker history` and registries' consoles.
var layerHistory = map[string]string{
	LayerDependencies: "open-dash image build: pip install --target <site-packages> -r requirements.txt (wheels for the target platform), bytecode compiled",
	LayerApp:          "open-dash image build: the app and its handler into /var/task, bytecode compiled",
	LayerAssets:       "open-dash image build: the app's assets folder into /var/task/assets",
}

// configure stacks the layers on the base and writes the configuration.
func (b *build) configure(context.Context) error {
	baseCfg, err := b.base.ConfigFile()
	if err != nil {
		return fmt.Errorf("base image %s: reading its configuration: %w", b.baseRef, err)
	}
	created := baseCfg.Created
	if created.IsZero() {
		created = v1.Time{Time: layerTime}
	}
	adds := make([]mutate.Addendum, len(b.layers))
	for i, l := range b.layers {
		adds[i] = mutate.Addendum{Layer: l.layer, MediaType: b.layerMT.layer,
			History: v1.History{Created: created, CreatedBy: layerHistory[l.role], Comment: l.role}}
	}
	img, err := mutate.Append(b.base, adds...)
	if err != nil {
		return err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cf = cf.DeepCopy()
	cf.Created = created
	cf.OS, cf.Architecture = b.platform.OS, b.platform.Architecture // the variant stays the base's (arm64: v8 or none)
	cf.Config.Cmd = []string{b.opts.Handler}
	cf.Config.WorkingDir = TaskRoot
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return err
	}
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	out := &Image{Image: img, Digest: digest.String(), BaseImage: b.baseRef, BaseDigest: b.baseDig.String(),
		Architecture: b.opts.Architecture, MediaType: string(b.layerMT.manifest)}
	for _, l := range b.layers {
		d, err := l.layer.Digest()
		if err != nil {
			return err
		}
		size, err := l.layer.Size()
		if err != nil {
			return err
		}
		out.Layers = append(out.Layers, Layer{Role: l.role, Digest: d.String(), Size: size, Files: l.files})
	}
	b.image = out
	b.note = out.Digest
	return nil
}
