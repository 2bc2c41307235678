{{/*
The labels every object of the chart carries. Object names are fixed (as config/ names them):
the operator looks its Lease and its agent's service account up by name, and its ClusterRoles
are cluster-wide, so one release per cluster.
*/}}
{{- define "k3s-etcd-backup.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: k3s-etcd-backup
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* The operator's image, which its node agent Jobs run too. */}}
{{- define "k3s-etcd-backup.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}
