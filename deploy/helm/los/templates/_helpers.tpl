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
{{ printf "%s-kafka-bootstrap:9093" .Values.kafka.name }}
{{- end -}}

{{/* The CA certificates clients trust, mounted from the Secrets the operators make. */}}
{{- define "los.kafkaCaFile" -}}
/var/run/los/kafka-ca/ca.crt
{{- end -}}

{{- define "los.databaseCaFile" -}}
/var/run/los/database-ca/ca.crt
{{- end -}}

{{/* A database URL of `role` (its password in the variable `password`): TLS, the server's
certificate checked against CloudNativePG's CA and the host name. */}}
{{- define "los.databaseUrl" -}}
{{ printf "postgresql://%s:$(%s)@%s:5432/los?sslmode=verify-full&sslrootcert=%s" .role .password (include "los.databaseHost" .root) (include "los.databaseCaFile" .root) }}
{{- end -}}

{{/* Volumes of the two CA certificates: the certificate alone, never a CA's key. */}}
{{- define "los.kafkaCaVolume" -}}
- name: kafka-ca
  secret:
    secretName: {{ printf "%s-cluster-ca-cert" .Values.kafka.name }}
    items: [{key: ca.crt, path: ca.crt}]
{{- end -}}

{{- define "los.databaseCaVolume" -}}
- name: database-ca
  secret:
    secretName: {{ printf "%s-ca" .Values.postgres.name }}
    items: [{key: ca.crt, path: ca.crt}]
{{- end -}}
