package chartcheck

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"
)

const chart = "../../../charts/diundashboard"

// helm is the helm binary of this module's tool directive, built once for the whole run.
var helm string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "chartcheck")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	helm = filepath.Join(dir, "helm")
	build := exec.Command("go", "build", "-o", helm, "helm.sh/helm/v4/cmd/helm")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building helm:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// manifests is one rendering of the chart, decoded.
type manifests struct {
	deployment     *appsv1.Deployment
	service        *corev1.Service
	secret         *corev1.Secret
	pvc            *corev1.PersistentVolumeClaim
	ingress        *networkingv1.Ingress
	serviceAccount *corev1.ServiceAccount
}

// helmTemplate runs `helm template` with the given --set values and returns its output and error.
func helmTemplate(t *testing.T, set ...string) (string, error) {
	t.Helper()
	args := []string{"template", "dd", chart, "--namespace", "apps"}
	for _, s := range set {
		args = append(args, "--set", s)
	}
	var out, errOut bytes.Buffer
	cmd := exec.Command(helm, args...)
	// No repository, registry or plugin configuration of this machine's user.
	cmd.Env = append(os.Environ(), "HELM_CONFIG_HOME="+t.TempDir(), "HELM_CACHE_HOME="+t.TempDir(), "HELM_DATA_HOME="+t.TempDir())
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return errOut.String(), err
	}
	return out.String(), nil
}

// render renders the chart and decodes each document strictly into its API type.
func render(t *testing.T, set ...string) manifests {
	t.Helper()
	out, err := helmTemplate(t, set...)
	if err != nil {
		t.Fatalf("helm template %v: %v\n%s", set, err, out)
	}
	var m manifests
	for doc := range strings.SplitSeq(out, "\n---\n") {
		var head struct{ Kind, APIVersion string }
		if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
			t.Fatalf("not YAML: %v\n%s", err, doc)
		}
		var into any
		switch head.Kind {
		case "":
			continue // a document of comments only
		case "Deployment":
			m.deployment = new(appsv1.Deployment)
			into = m.deployment
		case "Service":
			m.service = new(corev1.Service)
			into = m.service
		case "Secret":
			m.secret = new(corev1.Secret)
			into = m.secret
		case "PersistentVolumeClaim":
			m.pvc = new(corev1.PersistentVolumeClaim)
			into = m.pvc
		case "Ingress":
			m.ingress = new(networkingv1.Ingress)
			into = m.ingress
		case "ServiceAccount":
			m.serviceAccount = new(corev1.ServiceAccount)
			into = m.serviceAccount
		default:
			t.Fatalf("unexpected kind %q: add it to this test", head.Kind)
		}
		if err := yaml.UnmarshalStrict([]byte(doc), into); err != nil {
			t.Fatalf("%s does not decode strictly into the Kubernetes type: %v\n%s", head.Kind, err, doc)
		}
	}
	if m.deployment == nil || m.service == nil {
		t.Fatalf("no Deployment or Service in:\n%s", out)
	}
	return m
}

func container(t *testing.T, m manifests) corev1.Container {
	t.Helper()
	cs := m.deployment.Spec.Template.Spec.Containers
	if len(cs) != 1 {
		t.Fatalf("%d containers, want 1", len(cs))
	}
	return cs[0]
}

func env(c corev1.Container, name string) *corev1.EnvVar {
	for i := range c.Env {
		if c.Env[i].Name == name {
			return &c.Env[i]
		}
	}
	return nil
}

func TestDefaultsRunHardenedOnSQLite(t *testing.T) {
	m := render(t)
	d := m.deployment
	if *d.Spec.Replicas != 1 || d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
		t.Errorf("replicas %d, strategy %s: want 1 and Recreate on SQLite", *d.Spec.Replicas, d.Spec.Strategy.Type)
	}
	pod := d.Spec.Template.Spec
	if psc := pod.SecurityContext; psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || *psc.RunAsUser != 65532 || *psc.FSGroup != 65532 {
		t.Errorf("pod security context %+v: want runAsNonRoot as 65532 with fsGroup 65532", psc)
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Error("the service account token is mounted; the dashboard never calls the Kubernetes API")
	}
	c := container(t, m)
	sc := c.SecurityContext
	if sc == nil || !*sc.ReadOnlyRootFilesystem || *sc.AllowPrivilegeEscalation || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
		t.Errorf("container security context %+v: want a read-only root, no privilege escalation, every capability dropped", sc)
	}
	if !strings.HasSuffix(c.Image, ":0.1.0") {
		t.Errorf("image %q: want the chart's appVersion as the tag", c.Image)
	}
	if p := c.LivenessProbe; p == nil || p.HTTPGet.Path != "/healthz" {
		t.Errorf("liveness probe %+v: want GET /healthz", p)
	}
	if p := c.ReadinessProbe; p == nil || p.HTTPGet.Path != "/readyz" {
		t.Errorf("readiness probe %+v: want GET /readyz", p)
	}
	if e := env(c, "DATABASE_URL"); e == nil || e.Value != "sqlite:/data/diundashboard.db" {
		t.Errorf("DATABASE_URL %+v: want the SQLite file in /data", e)
	}
	if m.pvc == nil || m.pvc.Spec.Resources.Requests.Storage().String() != "1Gi" {
		t.Errorf("PVC %+v: want a 1Gi claim for the SQLite file", m.pvc)
	}
	if m.secret != nil {
		t.Error("a Secret was rendered with nothing secret to hold")
	}
	mounts := map[string]bool{}
	for _, vm := range c.VolumeMounts {
		mounts[vm.MountPath] = true
	}
	if !mounts["/data"] || !mounts["/tmp"] {
		t.Errorf("mounts %v: want /data and /tmp writable on the read-only root", mounts)
	}
}

func TestPostgresReplicasReadTheURLFromASecret(t *testing.T) {
	m := render(t, "replicaCount=3", "database.existingSecret=dd-db", "image.digest=sha256:"+strings.Repeat("a", 64))
	d := m.deployment
	if *d.Spec.Replicas != 3 || d.Spec.Strategy.Type != appsv1.RollingUpdateDeploymentStrategyType {
		t.Errorf("replicas %d, strategy %s: want 3 and RollingUpdate on PostgreSQL", *d.Spec.Replicas, d.Spec.Strategy.Type)
	}
	c := container(t, m)
	e := env(c, "DATABASE_URL")
	if e == nil || e.Value != "" || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef.Name != "dd-db" || e.ValueFrom.SecretKeyRef.Key != "DATABASE_URL" {
		t.Errorf("DATABASE_URL %+v: want it from the Secret dd-db only", e)
	}
	if m.pvc != nil {
		t.Error("a PVC was rendered for PostgreSQL, which keeps nothing on disk")
	}
	if !strings.Contains(c.Image, "@sha256:aaaa") {
		t.Errorf("image %q: want the pinned digest", c.Image)
	}
}

func TestInlineSecretsGoToTheChartsSecret(t *testing.T) {
	url := "postgres://dd:s3cret@db:5432/dd"
	token := strings.Repeat("t", 32)
	m := render(t, "database.url="+url, "webhook.token="+token, "diunGRPC=nas=diun:42286")
	if m.secret == nil || m.secret.StringData["DATABASE_URL"] != url || m.secret.StringData["WEBHOOK_TOKEN"] != token {
		t.Fatalf("secret %+v: want the URL and token in it", m.secret)
	}
	c := container(t, m)
	for _, name := range []string{"DATABASE_URL", "WEBHOOK_TOKEN"} {
		e := env(c, name)
		if e == nil || e.Value != "" || e.ValueFrom.SecretKeyRef.Name != "dd-diundashboard" {
			t.Errorf("%s %+v: want a reference to the chart's Secret, never the value", name, e)
		}
	}
	if e := env(c, "DIUN_GRPC"); e == nil || e.Value != "nas=diun:42286" {
		t.Errorf("DIUN_GRPC %+v", e)
	}
	if m.deployment.Spec.Template.Annotations["checksum/secret"] == "" {
		t.Error("no checksum of the Secret on the pod: a changed token would not restart it")
	}
}

func TestIngressHostsAreAllowed(t *testing.T) {
	m := render(t, "ingress.enabled=true", "ingress.hosts[0].host=diun.example.com", "ingress.hosts[1].host=dd.lan",
		"ingress.tls[0].secretName=tls", "ingress.tls[0].hosts[0]=diun.example.com", "baseURL=https://diun.example.com")
	if m.ingress == nil || len(m.ingress.Spec.Rules) != 2 || m.ingress.Spec.Rules[0].HTTP.Paths[0].Backend.Service.Port.Name != "http" {
		t.Fatalf("ingress %+v", m.ingress)
	}
	c := container(t, m)
	if e := env(c, "ALLOWED_HOSTS"); e == nil || e.Value != "diun.example.com,dd.lan" {
		t.Errorf("ALLOWED_HOSTS %+v: want the ingress hosts, or browsers get 421", e)
	}
	if e := env(c, "BASE_URL"); e == nil || e.Value != "https://diun.example.com" {
		t.Errorf("BASE_URL %+v", e)
	}
}

func TestRefusesWhatCannotWork(t *testing.T) {
	for _, tc := range []struct {
		set  []string
		want string
	}{
		{[]string{"replicaCount=2"}, "replicaCount > 1 needs PostgreSQL"},
		{[]string{"database.url=mysql://x"}, "database.url must start with"},
		{[]string{"webhook.token=short"}, "at least 24 characters"},
	} {
		out, err := helmTemplate(t, tc.set...)
		if err == nil || !strings.Contains(out, tc.want) {
			t.Errorf("helm template %v: err %v, output %q; want a failure saying %q", tc.set, err, out, tc.want)
		}
	}
}
