// Package deploytest checks the deployment files at the repository's root (Dockerfile,
// compose.yml, .env.example) without a container engine: compose.yml is loaded with the
// Compose specification's own Go loader, and the Dockerfile's build line is compared with
// the Makefile's. It has tests only.
package deploytest
