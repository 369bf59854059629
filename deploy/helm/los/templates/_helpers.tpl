{{/* The generated values: topics, Kafka users and ACLs, database roles, services (python -m deploy.helm generate). */}}
{{- define "los.platform" -}}
{{ .Files.Get "generated/platform.yaml" }}
{{- end -}}

{{- define "los.labels" -}}
app.kubernetes.io/part-of: los
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "los.image" -}}
{{ printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) | quote }}
{{- end -}}

{{/* OpenShift's restricted-v2 security context constraints: no fixed user or group ids. */}}
{{- define "los.podSecurityContext" -}}
runAsNonRoot: true
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "los.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: [ALL]
{{- end -}}

{{- define "los.databaseHost" -}}
{{ printf "%s-rw" .Values.postgres.name }}
{{- end -}}

{{- define "los.kafkaBootstrap" -}}
{{ printf "%s-kafka-bootstrap:9092" .Values.kafka.name }}
{{- end -}}
