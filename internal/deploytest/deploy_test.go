package deploytest

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

const root = "../.."

// loadCompose loads compose.yml the way `docker compose [--profile …] up` does, from a copy
// of the project directory holding compose.yml and, when dotenv is not "", a .env file.
func loadCompose(t *testing.T, dotenv string, profiles ...string) *types.Project {
	t.Helper()
	return loadComposeText(t, readFile(t, "compose.yml"), dotenv, profiles...)
}

func loadComposeText(t *testing.T, compose, dotenv string, profiles ...string) *types.Project {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "compose.yml"), []byte(compose), 0o644); err != nil {
		t.Fatal(err)
	}
	if dotenv != "" {
		if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(dotenv), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	opts, err := cli.NewProjectOptions([]string{filepath.Join(dir, "compose.yml")},
		cli.WithWorkingDirectory(dir),
		// Only the .env file, never this machine's environment.
		cli.WithEnv(nil),
		cli.WithEnvFiles(),
		cli.WithDotEnv,
		cli.WithProfiles(profiles),
	)
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("compose.yml does not load with profiles %v: %v", profiles, err)
	}
	return p
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func env(t *testing.T, s types.ServiceConfig, key string) string {
	t.Helper()
	v, ok := s.Environment[key]
	if !ok || v == nil {
		t.Fatalf("service %s has no %s in its environment: %v", s.Name, key, s.Environment)
	}
	return *v
}

func checkHealth(t *testing.T, s types.ServiceConfig, want []string) {
	t.Helper()
	if s.HealthCheck == nil || s.HealthCheck.Disable {
		t.Fatalf("service %s has no health check", s.Name)
	}
	if !slices.Equal(s.HealthCheck.Test, want) {
		t.Errorf("service %s health check %q, want %q", s.Name, s.HealthCheck.Test, want)
	}
	if s.HealthCheck.Interval == nil || s.HealthCheck.Timeout == nil || s.HealthCheck.Retries == nil {
		t.Errorf("service %s health check lacks an interval, timeout or retries", s.Name)
	}
}

func checkVolume(t *testing.T, p *types.Project, s types.ServiceConfig, volume, target string) {
	t.Helper()
	for _, v := range s.Volumes {
		if v.Type == types.VolumeTypeVolume && v.Source == volume && v.Target == target {
			if _, ok := p.Volumes[volume]; !ok {
				t.Errorf("volume %s is not declared at the top level", volume)
			}
			return
		}
	}
	t.Errorf("service %s does not mount the named volume %s on %s: %+v", s.Name, volume, target, s.Volumes)
}

// TestComposeDefault: `docker compose up` with no .env runs the dashboard alone, on SQLite in a
// named volume. Loading at all proves the depends_on postgres is `required: false`: a required
// dependency on a service whose profile is off fails with "depends on undefined service".
func TestComposeDefault(t *testing.T) {
	p := loadCompose(t, "")
	if names := p.ServiceNames(); !slices.Equal(names, []string{"dashboard"}) {
		t.Fatalf("services without a profile: %v, want only dashboard", names)
	}
	if !slices.Contains(p.DisabledServiceNames(), "postgres") {
		t.Errorf("postgres is not a disabled (profiled) service: %v", p.DisabledServiceNames())
	}
	d, err := p.GetService("dashboard")
	if err != nil {
		t.Fatal(err)
	}
	if got := env(t, d, "DATABASE_URL"); got != "sqlite:/data/diundashboard.db" {
		t.Errorf("default DATABASE_URL %q, want the SQLite file in /data", got)
	}
	checkVolume(t, p, d, "dashboard-data", "/data")
	checkHealth(t, d, []string{"CMD", "/diundashboard", "healthcheck"})
	if d.Restart != types.RestartPolicyUnlessStopped {
		t.Errorf("dashboard restart %q, want unless-stopped", d.Restart)
	}
	if len(d.Profiles) != 0 {
		t.Errorf("dashboard has profiles %v: it must run by default", d.Profiles)
	}
	// The postgres dependency is optional (required: false), so Compose starts the dashboard
	// alone when the postgres service is not enabled.
	if dep, ok := d.DependsOn["postgres"]; ok && dep.Required {
		t.Errorf("without the postgres profile the dashboard requires postgres: %+v", dep)
	}
	if len(d.EnvFiles) != 1 || d.EnvFiles[0].Required || filepath.Base(d.EnvFiles[0].Path) != ".env" {
		t.Errorf("env_file %+v, want one optional .env", d.EnvFiles)
	}
	if len(d.Ports) != 1 || d.Ports[0].Target != 8080 || d.Ports[0].Published != "8080" {
		t.Errorf("ports %+v, want 8080:8080", d.Ports)
	}
	if d.Image != "ghcr.io/diundashboard/diundashboard:latest" {
		t.Errorf("image %q: want the published image pulled by default", d.Image)
	}
	checkHardened(t, d)
	if d.Build == nil || d.Build.Context == "" {
		t.Error("dashboard has no build section: `docker compose build` would not work")
	} else if v := d.Build.Args["VERSION"]; v == nil || *v != "dev" {
		t.Errorf("build arg VERSION %v, want dev by default", v)
	}
}

// checkHardened: the dashboard runs as the image's numeric user on a read-only root, with no
// capabilities and no way to gain privileges; only /data (the volume) and /tmp are writable.
func checkHardened(t *testing.T, d types.ServiceConfig) {
	t.Helper()
	if d.User != "65532:65532" {
		t.Errorf("user %q, want 65532:65532 (the image's non-root user)", d.User)
	}
	if !d.ReadOnly {
		t.Error("the root file system is writable: want read_only: true")
	}
	if !slices.Equal(d.CapDrop, []string{"ALL"}) || len(d.CapAdd) != 0 {
		t.Errorf("cap_drop %v, cap_add %v: want every capability dropped, none added", d.CapDrop, d.CapAdd)
	}
	if !slices.Contains(d.SecurityOpt, "no-new-privileges:true") {
		t.Errorf("security_opt %v: want no-new-privileges:true", d.SecurityOpt)
	}
	if !slices.Contains(d.Tmpfs, "/tmp") {
		t.Errorf("tmpfs %v: want /tmp writable on the read-only root", d.Tmpfs)
	}
}

// TestComposePostgres: an .env file and --profile postgres switch to PostgreSQL with no edit of
// compose.yml.
func TestComposePostgres(t *testing.T) {
	dotenv := "POSTGRES_PASSWORD=s3cret\nDATABASE_URL=postgres://diundashboard:s3cret@postgres:5432/diundashboard?sslmode=disable\nWEBHOOK_TOKEN=tok\n"
	p := loadCompose(t, dotenv, "postgres")
	names := p.ServiceNames()
	slices.Sort(names)
	if !slices.Equal(names, []string{"dashboard", "postgres"}) {
		t.Fatalf("services with the postgres profile: %v", names)
	}
	d, _ := p.GetService("dashboard")
	pg, _ := p.GetService("postgres")
	if got := env(t, d, "DATABASE_URL"); !strings.HasPrefix(got, "postgres://diundashboard:s3cret@postgres:5432/") {
		t.Errorf("DATABASE_URL with the .env file %q", got)
	}
	if got := env(t, d, "WEBHOOK_TOKEN"); got != "tok" {
		t.Errorf("the .env file's WEBHOOK_TOKEN does not reach the dashboard: %q", got)
	}
	if got := env(t, pg, "POSTGRES_PASSWORD"); got != "s3cret" {
		t.Errorf("POSTGRES_PASSWORD %q, want the .env value", got)
	}
	// The user and database in the DATABASE_URL example must be the ones postgres creates.
	if env(t, pg, "POSTGRES_USER") != "diundashboard" || env(t, pg, "POSTGRES_DB") != "diundashboard" {
		t.Errorf("postgres user/db: %v", pg.Environment)
	}
	dep, ok := d.DependsOn["postgres"]
	if !ok {
		t.Fatalf("with the postgres profile the dashboard does not wait for postgres: %v", d.DependsOn)
	}
	if dep.Condition != types.ServiceConditionHealthy || dep.Required {
		t.Errorf("depends_on postgres %+v, want condition service_healthy, required false", dep)
	}
	if !slices.Equal(pg.Profiles, []string{"postgres"}) {
		t.Errorf("postgres profiles %v", pg.Profiles)
	}
	checkVolume(t, p, pg, "postgres-data", "/var/lib/postgresql/data")
	if pg.HealthCheck == nil || len(pg.HealthCheck.Test) != 2 || pg.HealthCheck.Test[0] != "CMD-SHELL" || !strings.Contains(pg.HealthCheck.Test[1], "pg_isready") {
		t.Errorf("postgres health check %+v, want pg_isready", pg.HealthCheck)
	}
	if len(pg.Ports) != 0 {
		t.Errorf("postgres publishes ports %+v; it should be reachable on the compose network only", pg.Ports)
	}
	if !strings.HasPrefix(pg.Image, "postgres:") {
		t.Errorf("postgres image %q", pg.Image)
	}
}

// TestEnvExample: .env.example's PostgreSQL lines, uncommented, are a working configuration.
func TestEnvExample(t *testing.T) {
	var lines []string
	for _, l := range strings.Split(readFile(t, ".env.example"), "\n") {
		if strings.HasPrefix(l, "#POSTGRES_PASSWORD=") || strings.HasPrefix(l, "#DATABASE_URL=") {
			lines = append(lines, strings.TrimPrefix(l, "#"))
		}
	}
	if len(lines) != 2 {
		t.Fatalf(".env.example has no commented POSTGRES_PASSWORD and DATABASE_URL lines: %q", lines)
	}
	p := loadCompose(t, strings.Join(lines, "\n")+"\n", "postgres")
	d, _ := p.GetService("dashboard")
	pg, _ := p.GetService("postgres")
	url := env(t, d, "DATABASE_URL")
	if !strings.Contains(url, ":"+env(t, pg, "POSTGRES_PASSWORD")+"@postgres:5432/") {
		t.Errorf("the example DATABASE_URL %q does not use the example POSTGRES_PASSWORD", url)
	}
}

// TestComposeDiunExample uncomments the diun example and loads it: the webhook wiring must be
// valid Compose and point at the dashboard service.
func TestComposeDiunExample(t *testing.T) {
	var out []string
	in := false
	for _, l := range strings.Split(readFile(t, "compose.yml"), "\n") {
		switch {
		case l == "  # diun:":
			in = true
		case in && !strings.HasPrefix(l, "  #"):
			in = false
		}
		if in || l == "  # diun-data:" {
			l = "  " + strings.TrimPrefix(strings.TrimPrefix(l, "  #"), " ")
		}
		out = append(out, l)
	}
	p := loadComposeText(t, strings.Join(out, "\n"), "WEBHOOK_TOKEN=abc\n")
	diun, err := p.GetService("diun")
	if err != nil {
		t.Fatalf("the commented diun example is not found or not a service: %v", err)
	}
	want := map[string]string{
		"DIUN_NOTIF_WEBHOOK_ENDPOINT":              "http://dashboard:8080/webhook",
		"DIUN_NOTIF_WEBHOOK_METHOD":                "POST",
		"DIUN_NOTIF_WEBHOOK_HEADERS_AUTHORIZATION": "Bearer abc",
	}
	for k, v := range want {
		if got := env(t, diun, k); got != v {
			t.Errorf("diun %s = %q, want %q", k, got, v)
		}
	}
	checkVolume(t, p, diun, "diun-data", "/data")
}

// shellWords splits a command line the way sh does for the simple quoting used here.
func shellWords(s string) []string {
	var words []string
	var cur strings.Builder
	quote := rune(0)
	inWord := false
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// normalise makes the Makefile's and the Dockerfile's spellings comparable: $(GO) is go,
// $(VERSION) and ${VERSION} are VERSION, and the output path is OUT.
func normalise(words []string) []string {
	out := make([]string, len(words))
	vars := regexp.MustCompile(`\$[({]([A-Z_]+)[)}]`)
	for i, w := range words {
		w = strings.ReplaceAll(w, "$(GO)", "go")
		w = vars.ReplaceAllString(w, "$$$1")
		if i > 0 && words[i-1] == "-o" {
			w = "OUT"
		}
		out[i] = w
	}
	return out
}

// TestDockerfileBuildMatchesMakefile: the image's binary is built exactly as `make build`
// builds bin/diundashboard.
func TestDockerfileBuildMatchesMakefile(t *testing.T) {
	makefile := readFile(t, "Makefile")
	m := regexp.MustCompile(`(?m)^build:.*\n\t(.+)$`).FindStringSubmatch(makefile)
	if m == nil {
		t.Fatal("no build target with a recipe in the Makefile")
	}
	makeLine := normalise(shellWords(m[1]))

	dockerfile := readFile(t, "Dockerfile")
	var runs []string
	for _, l := range strings.Split(dockerfile, "\n") {
		if strings.HasPrefix(l, "RUN ") && strings.Contains(l, " build ") {
			runs = append(runs, strings.TrimPrefix(l, "RUN "))
		}
	}
	if len(runs) != 1 {
		t.Fatalf("want exactly one RUN … go build … line in the Dockerfile, found %q", runs)
	}
	dockerLine := normalise(shellWords(runs[0]))
	if !slices.Equal(makeLine, dockerLine) {
		t.Errorf("the Dockerfile builds differently from `make build`:\n  make:   %q\n  docker: %q", makeLine, dockerLine)
	}
	if !slices.Contains(makeLine, "CGO_ENABLED=0") || !slices.Contains(makeLine, "-trimpath") {
		t.Errorf("the build line is not a static, trimmed build: %q", makeLine)
	}
}

// TestDockerfile checks the image's runtime settings.
func TestDockerfile(t *testing.T) {
	d := readFile(t, "Dockerfile")
	var stages []string
	for _, l := range strings.Split(d, "\n") {
		if strings.HasPrefix(l, "FROM ") {
			stages = append(stages, l)
		}
	}
	if len(stages) != 2 || !strings.HasPrefix(stages[0], "FROM golang:1.26") || !strings.Contains(stages[1], "distroless/static") {
		t.Errorf("stages %q, want a golang:1.26 builder and a distroless static final stage", stages)
	}
	for _, want := range []string{
		`ENV DATABASE_URL=sqlite:/data/diundashboard.db`,
		`VOLUME ["/data"]`,
		`EXPOSE 8080`,
		`USER 65532:65532`,
		`HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 CMD ["/diundashboard", "healthcheck"]`,
		`ENTRYPOINT ["/diundashboard"]`,
		`org.opencontainers.image.version="${VERSION}"`,
		`org.opencontainers.image.title=`,
		`org.opencontainers.image.licenses="MIT"`,
	} {
		if !strings.Contains(d, want) {
			t.Errorf("the Dockerfile lacks %s", want)
		}
	}
	// ARG VERSION must be declared in both stages: an ARG is scoped to its stage.
	if n := strings.Count(d, "\nARG VERSION"); n != 2 {
		t.Errorf("ARG VERSION declared %d times, want once per stage", n)
	}
	// The build context must keep what go build needs.
	ignore := readFile(t, ".dockerignore")
	for _, l := range strings.Split(ignore, "\n") {
		switch strings.TrimSpace(l) {
		case "sql", "gen", "cmd", "server", "internal", "go.mod", "go.sum", "*.go":
			t.Errorf(".dockerignore excludes %s, which the build needs", l)
		}
	}
}
