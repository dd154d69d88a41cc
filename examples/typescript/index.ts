// Deploys ../single-page (a Dash app) with the OpenDash DashSite component, through the opendash provider
// plugin and its generated SDK (@opendash/pulumi). Generate and link the SDK first: `pulumi install` here
// (see README.md). Optional settings: `pulumi config set architecture arm64`, `pulumi config set
// domainName dash.example.com` with `pulumi config set hostedZoneId Z0123456789ABC`.
import * as pulumi from "@pulumi/pulumi";
import * as opendash from "@opendash/pulumi";

const config = new pulumi.Config();
const domainName = config.get("domainName");

const site = new opendash.DashSite("single-page", {
    // Relative to this folder: the plugin runs in the project's folder.
    source: "../single-page",
    architecture: config.get("architecture") ?? "x86_64",
    memorySize: 1024,
    environment: { MODE: "prod" },
    domainName,
    hostedZoneId: domainName ? config.require("hostedZoneId") : undefined,
});

export const url = site.url;
export const distributionId = site.distributionId;
export const serverFunctionName = site.serverFunctionName;
export const warmerFunctionName = site.warmerFunctionName;
// bucket, distribution and serverFunction are @pulumi/aws resources.
export const bucketArn = site.bucket.arn;
export const distributionDomain = site.distribution.domainName;
