// The pathway query of bench/api.py served by @neo4j/graphql (the baseline openfdp is
// compared with). Type definitions mirror docs/graph-model.md for the fields the benchmark
// reads; "linked" follows the linkage cluster like openfdp's pathwaysAtOtherTrusts.
// Env: NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD, PORT. Prints "ready <url>" when listening.
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { Neo4jGraphQL } from "@neo4j/graphql";
import neo4j from "neo4j-driver";

const typeDefs = /* GraphQL */ `
  type NHSTrust @node(labels: ["NHSTrust", "Organisation"]) {
    ods_code: String!
    name: String
  }
  type Site @node(labels: ["Site", "Organisation"]) {
    ods_code: String!
    name: String
  }
  type PseudonymisedPerson @node {
    pseudo_id: String!
    year_of_birth: Int
    sex_code: String
    area_code: String
  }
  type RTTPeriod @node {
    period_id: String!
    start_date: Date!
    end_date: Date
    status: String!
    stop_status_code: String
    length_days: Int
    breach_date_18w: Date
    breach_date_52w: Date
    breach_date_65w: Date
    breach_date_78w: Date
    breach_date_104w: Date
    nullified: Boolean
    data_quality_flags: [String!]
  }
  type RTTStatusEvent @node {
    event_id: String!
    status_code: String!
    activity_date: Date!
    seq: Int
  }
  type Appointment @node {
    appointment_id: String!
    appointment_date: Date
    first_attendance_code: String
    attended_or_dna_code: String
    outcome_of_attendance_code: String
    treatment_function_code: String
    consultation_medium_code: String
    site: [Site!]! @relationship(type: "AT_SITE", direction: OUT)
  }
  type Procedure @node {
    procedure_id: String!
    procedure_date: Date
    code_system: String!
    code: String!
    display: String
  }
  type Diagnosis @node {
    diagnosis_id: String!
    diagnosis_date: Date
    code_system: String!
    code: String!
    display: String
    is_primary: Boolean
  }
  type RTTPathway @node {
    ppid: String!
    ppid_issuer_ods: String!
    provider_ods: String!
    treatment_function_code: String
    priority_type_code: String
    referral_request_received_date: Date
    pathway_status: String
    provider: [NHSTrust!]! @relationship(type: "ISSUED_BY", direction: OUT)
    periods: [RTTPeriod!]! @relationship(type: "HAS_PERIOD", direction: OUT)
    events: [RTTStatusEvent!]! @relationship(type: "HAS_EVENT", direction: OUT)
    appointments: [Appointment!]! @relationship(type: "ON_PATHWAY", direction: IN)
    procedures: [Procedure!]! @relationship(type: "ON_PATHWAY", direction: IN)
    diagnoses: [Diagnosis!]! @relationship(type: "ON_PATHWAY", direction: IN)
    person: [PseudonymisedPerson!]! @relationship(type: "SUBJECT_OF", direction: IN)
    linked: [RTTPathway!]!
      @cypher(
        statement: """
        MATCH (per:PseudonymisedPerson)-[:SUBJECT_OF]->(this)
        MATCH (:PseudonymisedPerson {cluster_id: per.cluster_id})-[:SUBJECT_OF]->(q:RTTPathway)
        WHERE q.provider_ods <> this.provider_ods
        RETURN DISTINCT q
        """
        columnName: "q"
      )
  }
`;

const driver = neo4j.driver(
  process.env.NEO4J_URI ?? "bolt://127.0.0.1:7687",
  neo4j.auth.basic(process.env.NEO4J_USER ?? "neo4j", process.env.NEO4J_PASSWORD ?? ""),
  { maxConnectionPoolSize: 64 },
);
const neoSchema = new Neo4jGraphQL({ typeDefs, driver });
const server = new ApolloServer({ schema: await neoSchema.getSchema() });
const { url } = await startStandaloneServer(server, {
  listen: { host: "127.0.0.1", port: Number(process.env.PORT ?? 4000) },
});
console.log(`ready ${url}`);
