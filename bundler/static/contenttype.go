package static

import (
	"path"
	"strings"
)

// contentTypes maps extensions to the Content-Type S3 will serve. A fixed table, not the OS's mime database:
// the same input must bundle to the same manifest on every machine.
var contentTypes = map[string]string{
	".avif":  "image/avif",
	".bmp":   "image/bmp",
	".css":   "text/css; charset=utf-8",
	".csv":   "text/csv; charset=utf-8",
	".eot":   "application/vnd.ms-fontobject",
	".gif":   "image/gif",
	".htm":   "text/html; charset=utf-8",
	".html":  "text/html; charset=utf-8",
	".ico":   "image/x-icon",
	".jpeg":  "image/jpeg",
	".jpg":   "image/jpeg",
	".js":    "application/javascript; charset=utf-8",
	".json":  "application/json",
	".map":   "application/json",
	".md":    "text/markdown; charset=utf-8",
	".mjs":   "application/javascript; charset=utf-8",
	".mp3":   "audio/mpeg",
	".mp4":   "video/mp4",
	".otf":   "font/otf",
	".pdf":   "application/pdf",
	".png":   "image/png",
	".svg":   "image/svg+xml",
	".ttf":   "font/ttf",
	".txt":   "text/plain; charset=utf-8",
	".wasm":  "application/wasm",
	".webm":  "video/webm",
	".webp":  "image/webp",
	".woff":  "font/woff",
	".woff2": "font/woff2",
	".xml":   "application/xml",
	".zip":   "application/zip",
}

// ContentType is the Content-Type for a key, by its extension; unknown extensions are octet-stream.
func ContentType(key string) string {
	if ct, ok := contentTypes[strings.ToLower(path.Ext(key))]; ok {
		return ct
	}
	return "application/octet-stream"
}
