import * as aws from '@pulumi/aws';
import * as dockerBuild from '@pulumi/docker-build';
import * as pulumi from '@pulumi/pulumi';

export interface AppImageArgs {
  /** The folder holding the repository's `Dockerfile` (the build context). */
  contextDir: string;
  /** The tag pushed alongside the digest, e.g. the stack name. */
  tag: string;
  tags: Record<string, string>;
}

/**
 * The ECR repository and the app's image, built from the repository's `Dockerfile` (the single
 * compiled binary) with BuildKit and pushed by `pulumi up`. Tasks run `repo@sha256:...`, the
 * pushed digest, so a task started later (scaling, a replaced task) runs exactly the image this
 * deployment built, whatever the tag points at by then.
 */
export class AppImage extends pulumi.ComponentResource {
  readonly repositoryUrl: pulumi.Output<string>;
  readonly repositoryArn: pulumi.Output<string>;
  /** `<account>.dkr.ecr.<region>.amazonaws.com/<repo>@sha256:<digest>` */
  readonly imageRef: pulumi.Output<string>;

  constructor(name: string, args: AppImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super('ragchat:index:AppImage', name, {}, opts);
    const parent = { parent: this };

    const repo = new aws.ecr.Repository(
      `${name}-repo`,
      {
        // Tags move (each deploy pushes the stack's tag again); tasks are pinned by digest instead.
        imageTagMutability: 'MUTABLE',
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfigurations: [{ encryptionType: 'AES256' }],
        // Images are rebuilt from source; they must not keep `pulumi destroy` from finishing.
        forceDelete: true,
        tags: args.tags,
      },
      parent,
    );
    new aws.ecr.LifecyclePolicy(
      `${name}-repo`,
      {
        repository: repo.name,
        policy: JSON.stringify({
          rules: [
            {
              rulePriority: 1,
              description: 'keep the last 10 images (rollbacks), expire older ones',
              selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 10 },
              action: { type: 'expire' },
            },
          ],
        }),
      },
      parent,
    );

    const auth = aws.ecr.getAuthorizationTokenOutput({ registryId: repo.registryId }, parent);
    const image = new dockerBuild.Image(
      `${name}-image`,
      {
        context: { location: args.contextDir },
        dockerfile: { location: `${args.contextDir}/Dockerfile` },
        // Fargate tasks run x86_64 (fargate.ts); an ARM laptop cross-builds.
        platforms: [dockerBuild.Platform.Linux_amd64],
        push: true,
        tags: [pulumi.interpolate`${repo.repositoryUrl}:${args.tag}`],
        registries: [{ address: auth.proxyEndpoint, username: auth.userName, password: auth.password }],
        // A preview shows the plan without a 2-minute build.
        buildOnPreview: false,
      },
      parent,
    );

    this.repositoryUrl = repo.repositoryUrl;
    this.repositoryArn = repo.arn;
    this.imageRef = pulumi.interpolate`${repo.repositoryUrl}@${image.digest}`;
    this.registerOutputs({ repositoryUrl: this.repositoryUrl, imageRef: this.imageRef });
  }
}
