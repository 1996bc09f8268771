import { readConfig } from './config.ts';
import { deploy } from './program.ts';

// `pulumi up` runs this file: read the stack's configuration once, build everything from it.
const outputs = deploy(readConfig());

export const url = outputs.url;
export const ecrRepositoryUrl = outputs.ecrRepositoryUrl;
export const imageRef = outputs.imageRef;
export const bucketName = outputs.bucketName;
export const logBucketName = outputs.logBucketName;
export const logGroupName = outputs.logGroupName;
export const clusterName = outputs.clusterName;
export const serviceName = outputs.serviceName;
export const taskDefinitionFamily = outputs.taskDefinitionFamily;
export const privateSubnetIds = outputs.privateSubnetIds;
export const appSecurityGroupId = outputs.appSecurityGroupId;
export const databaseSecretArn = outputs.databaseSecretArn;
