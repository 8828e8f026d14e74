{{/* Names and labels shared by every manifest. */}}
{{- define "diundashboard.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "diundashboard.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "diundashboard.selectorLabels" -}}
app.kubernetes.io/name: {{ include "diundashboard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "diundashboard.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "diundashboard.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "diundashboard.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "diundashboard.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "diundashboard.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* PostgreSQL is in use when a URL or a Secret names the database. */}}
{{- define "diundashboard.postgres" -}}
{{- if or .Values.database.existingSecret (hasPrefix "postgres" .Values.database.url) -}}true{{- end -}}
{{- end -}}

{{/* The chart's own Secret holds what was given inline (database URL, webhook token). */}}
{{- define "diundashboard.ownSecret" -}}
{{- if or (and .Values.database.url (not .Values.database.existingSecret)) (and .Values.webhook.token (not .Values.webhook.existingSecret)) -}}true{{- end -}}
{{- end -}}

{{/* Refuse settings that cannot work, at render time rather than as a crash-looping pod. */}}
{{- define "diundashboard.validate" -}}
{{- if and (gt (int .Values.replicaCount) 1) (not (include "diundashboard.postgres" .)) -}}
{{- fail "replicaCount > 1 needs PostgreSQL: set database.url (postgres://…) or database.existingSecret; SQLite is one file owned by one process" -}}
{{- end -}}
{{- if and .Values.database.url (not (or (hasPrefix "postgres://" .Values.database.url) (hasPrefix "postgresql://" .Values.database.url) (hasPrefix "sqlite:" .Values.database.url))) -}}
{{- fail "database.url must start with postgres://, postgresql:// or sqlite:" -}}
{{- end -}}
{{- if and .Values.webhook.token (lt (len .Values.webhook.token) 24) -}}
{{- fail "webhook.token must be at least 24 characters (e.g. openssl rand -base64 32), or empty to have one generated" -}}
{{- end -}}
{{- end -}}
