// OpenDash viewer-request CloudFront Function (runtime cloudfront-js-2.0) on the server behaviors.
// The origin request policy AllViewerExceptHostHeader drops the viewer's Host (a Lambda function URL routes
// by Host), so the Host is copied to X-Forwarded-Host here, where the app reads it. A viewer's own
// X-Forwarded-Host is always replaced, never trusted.
function handler(event) {
    var request = event.request;
    var host = request.headers.host;
    if (host && host.value) {
        request.headers['x-forwarded-host'] = { value: host.value };
    } else {
        delete request.headers['x-forwarded-host'];
    }
    return request;
}
