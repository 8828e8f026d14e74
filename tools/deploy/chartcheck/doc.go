// Package chartcheck tests the Helm chart in charts/diundashboard: it renders the chart with
// `helm template` (the helm of this tools module, offline) and decodes every manifest strictly
// into the Kubernetes API's Go types, so a misspelt field or a wrong type fails without a
// cluster and without downloading a schema.
package chartcheck
