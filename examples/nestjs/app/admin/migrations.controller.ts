import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import type { MigrationResult, MigrationStatus } from 'mongock';
import { MongockRunner } from 'mongock/nestjs';

/**
 * The injected runner, for applications that migrate on demand (`runOnStartup: false`) or that
 * report migration state. (Protect such routes in a real application.)
 */
@Controller('admin/migrations')
export class MigrationsController {
  constructor(private readonly runner: MongockRunner) {}

  @Get()
  status(): Promise<MigrationStatus> {
    return this.runner.status();
  }

  @Post()
  @HttpCode(200)
  migrate(): Promise<MigrationResult> {
    return this.runner.execute();
  }
}
